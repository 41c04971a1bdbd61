package dev.strata.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.core.InferenceResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An edge restarts while its cloud is down: the cloud process is killed, then the edge process too
 * ({@code kill -9}, a power cut); a new edge process on the same data directory, with the cloud
 * still gone, serves the model it had from its own cache, with the same cascade policy (answers
 * marked {@code edge-fallback}) and the same answers as before the restart.
 */
@Timeout(180)
class OfflineRestartIT {
  private static final int REQUESTS = 300;

  @RegisterExtension final Harness harness = new Harness();

  @Test
  void restartedEdgeServesFromItsCacheWithoutTheCloud() {
    CloudProcess cloud = Steps.cloudWithInferenceAuth(harness);
    EdgeProcess edge = Steps.cascade(harness, cloud);

    cloud.kill();
    List<float[]> before = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      InferenceResponse r = edge.rest().infer(Models.request("mlp", i));
      assertThat(Models.servedBy(r)).isEqualTo("edge-fallback");
      before.add(Models.probabilities(r));
    }

    edge.kill();
    edge.start();
    await("edge-1 serving mlp again, from its data directory")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .until(() -> edge.rest().modelReady("mlp", Optional.of("1")));
    assertThat(cloud.alive()).as("the cloud process is still dead").isFalse();

    for (int i = 0; i < 10; i++) {
      InferenceResponse r =
          (i % 2 == 0 ? edge.rest() : edge.grpc()).infer(Models.request("mlp", i));
      // the cascade policy came back with the model: every request still tries the cloud first
      assertThat(Models.servedBy(r)).as("answer %d", i).isEqualTo("edge-fallback");
      assertThat(r.parameters()).containsKey("strata.cloud_error");
      assertThat(r.version()).isEqualTo("1");
      assertThat(Models.probabilities(r)).as("answer %d", i).containsExactly(before.get(i));
    }
    Load load = Load.start("mlp", List.of(edge.rest(), edge.rest(), edge.grpc()));
    try (load) {
      await("" + REQUESTS + " answers")
          .atMost(Duration.ofSeconds(60))
          .until(() -> load.ok() + load.failures().size() >= REQUESTS);
    }
    harness.record(load);
    assertThat(load.failures()).as("%s", load).isEmpty();
    assertThat(load.servedBy()).as("%s", load).containsOnlyKeys("edge-fallback");

    JsonNode status = edge.status();
    assertThat(status.get("connected").asBoolean()).isFalse();
    JsonNode model = status.get("models").get(0);
    assertThat(model.get("deployment").asText()).isEqualTo("det");
    assertThat(model.get("version").asLong()).isEqualTo(1);
    assertThat(model.get("state").asText()).isEqualTo("READY");
  }
}
