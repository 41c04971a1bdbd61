package dev.strata.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.strata.core.InferenceResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The cloud process goes away under load, killed ({@code kill -9}) or stopped (SIGTERM), while an
 * edge's cascade policy sends every request to it: the edge answers every request before, during
 * and after, over REST and gRPC; from the moment the cloud is gone every answer is the edge's own,
 * marked {@code edge-fallback} with the cloud's error. Not one request fails.
 */
@Timeout(180)
class CloudOutageIT {
  private static final int AFTER = 400;

  enum Outage {
    KILL,
    STOP
  }

  @RegisterExtension final Harness harness = new Harness();

  @ParameterizedTest
  @EnumSource(Outage.class)
  void edgeAnswersEveryRequestWhenTheCloudGoes(Outage outage) {
    CloudProcess cloud = Steps.cloudWithInferenceAuth(harness);
    EdgeProcess edge = Steps.cascade(harness, cloud);

    Load load = Load.start("mlp", List.of(edge.rest(), edge.rest(), edge.grpc(), edge.grpc()));
    long beforeOutage;
    try (load) {
      await("answers from the cloud")
          .atMost(Duration.ofSeconds(30))
          .until(() -> load.servedBy().getOrDefault("cloud", 0L) > 100);
      switch (outage) {
        case KILL -> cloud.kill();
        case STOP -> assertThat(cloud.stop()).isEqualTo(143);
      }
      beforeOutage = load.ok();
      await(AFTER + " answers after the outage")
          .atMost(Duration.ofSeconds(60))
          .until(() -> load.ok() >= beforeOutage + AFTER || !load.failures().isEmpty());
    }
    harness.record(load);
    assertThat(load.failures()).as("%s", load).isEmpty();
    assertThat(load.servedBy()).as("%s", load).containsOnlyKeys("cloud", "edge-fallback");
    assertThat(load.servedBy().get("edge-fallback")).isGreaterThanOrEqualTo(AFTER - 4L);
    assertThat(load.versions()).containsOnlyKeys("1"); // mlp's and mlp-large's

    // now that the cloud is gone, one answer after another is the edge's own
    for (int i = 0; i < 20; i++) {
      InferenceResponse r =
          (i % 2 == 0 ? edge.rest() : edge.grpc()).infer(Models.request("mlp", i));
      assertThat(Models.servedBy(r)).as("answer %d", i).isEqualTo("edge-fallback");
      assertThat(r.model()).isEqualTo("mlp");
      assertThat(r.version()).isEqualTo("1");
      assertThat(r.parameters()).containsKey("strata.cloud_error");
    }
    await("edge-1 reports the cloud lost")
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              var status = edge.status();
              assertThat(status.get("connected").asBoolean()).isFalse();
              assertThat(status.get("models").get(0).get("state").asText()).isEqualTo("READY");
            });
    assertThat(cloud.alive()).as("the cloud process is still gone").isFalse();
  }
}
