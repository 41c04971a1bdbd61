package dev.strata.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.strata.core.InferenceResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The cloud process dies ({@code kill -9}) under an edge whose cascade policy sends every request
 * to the cloud: the edge still answers every one of the requests that follow, over REST and gRPC,
 * from its own model, each answer marked {@code edge-fallback} with the cloud's error; none fails.
 */
@Timeout(180)
class CloudOutageIT {
  private static final int REQUESTS = 400;

  @RegisterExtension final Harness harness = new Harness();

  @Test
  void edgeAnswersEveryRequestAfterTheCloudIsKilled() {
    CloudProcess cloud = harness.cloud();
    EdgeProcess edge = Steps.cascade(harness, cloud);

    cloud.kill();

    // the first requests meet a dead cloud, the later ones an open circuit: all are answered
    for (int i = 0; i < 20; i++) {
      InferenceResponse r =
          (i % 2 == 0 ? edge.rest() : edge.grpc()).infer(Models.request("mlp", i));
      assertThat(Models.servedBy(r)).as("answer %d", i).isEqualTo("edge-fallback");
      assertThat(r.model()).isEqualTo("mlp");
      assertThat(r.version()).isEqualTo("1");
      assertThat(r.parameters()).containsKey("strata.cloud_error");
    }
    Load load = Load.start("mlp", List.of(edge.rest(), edge.rest(), edge.grpc(), edge.grpc()));
    try (load) {
      await("" + REQUESTS + " answers")
          .atMost(Duration.ofSeconds(60))
          .until(() -> load.ok() + load.failures().size() >= REQUESTS);
    }
    assertThat(load.failures()).as("%s", load).isEmpty();
    assertThat(load.ok()).isGreaterThanOrEqualTo(REQUESTS);
    assertThat(load.servedBy()).as("%s", load).containsOnlyKeys("edge-fallback");
    assertThat(load.versions()).containsOnlyKeys("1");

    await("edge-1 reports the cloud lost")
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              var status = edge.status();
              assertThat(status.get("connected").asBoolean()).isFalse();
              assertThat(status.get("models").get(0).get("state").asText()).isEqualTo("READY");
            });
    assertThat(cloud.alive()).as("the cloud process is still dead").isFalse();
  }
}
