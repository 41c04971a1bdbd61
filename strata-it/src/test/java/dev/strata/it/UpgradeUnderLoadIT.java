package dev.strata.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.strata.api.DeploymentStatus;
import dev.strata.core.InferenceResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A new version deployed while clients hammer the edge (REST and gRPC, back to back): the edge
 * downloads, verifies and loads version 2 beside version 1 and switches over without failing one
 * request; afterwards every answer comes from version 2, and version 2's answers differ from
 * version 1's (the switch is real, not a relabelling).
 */
@Timeout(180)
class UpgradeUnderLoadIT {
  @RegisterExtension final Harness harness = new Harness();

  @Test
  void newVersionUnderLoadFailsNoRequest() {
    CloudProcess cloud = harness.cloud();
    ManagementClient admin = cloud.admin();
    long v1 = admin.publish("mlp", Models.mlp(1));
    long v2 = admin.publish("mlp", Models.mlp(2));
    EdgeProcess edge = harness.edge("edge-1", cloud, Map.of());
    admin.apply("det", Spec.edge("mlp", v1));
    Steps.awaitInSync(admin, "det", 1);
    float[] fromV1 = Models.probabilities(edge.rest().infer(Models.request("mlp", 42)));

    Load load = Load.start("mlp", List.of(edge.rest(), edge.rest(), edge.grpc(), edge.grpc()));
    try (load) {
      await("load on version 1")
          .atMost(Duration.ofSeconds(30))
          .until(() -> load.answeredBy("" + v1) > 100);
      admin.apply("det", Spec.edge("mlp", v2));
      await("load on version 2")
          .atMost(Steps.ROLLOUT)
          .until(() -> load.answeredBy("" + v2) > 200 || !load.failures().isEmpty());
    }
    harness.record(load);
    assertThat(load.failures()).as("%s", load).isEmpty();
    assertThat(load.versions()).as("%s", load).containsOnlyKeys("" + v1, "" + v2);
    assertThat(load.servedBy()).containsOnlyKeys("edge");
    assertThat(load.backwards()).as("answers from version 1 after version 2 answered").isZero();

    DeploymentStatus status = Steps.awaitInSync(admin, "det", 1);
    assertThat(status.nodes().getFirst().actual().orElseThrow().version()).isEqualTo(v2);
    for (int i = 0; i < 20; i++) {
      InferenceResponse r =
          (i % 2 == 0 ? edge.rest() : edge.grpc()).infer(Models.request("mlp", i));
      assertThat(r.version()).isEqualTo("" + v2);
    }
    float[] fromV2 = Models.probabilities(edge.rest().infer(Models.request("mlp", 42)));
    assertThat(fromV2).isNotEqualTo(fromV1);
  }
}
