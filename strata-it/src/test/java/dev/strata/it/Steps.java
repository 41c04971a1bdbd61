package dev.strata.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.strata.api.DeploymentStatus;
import dev.strata.core.InferenceResponse;
import dev.strata.registry.testing.TestDb;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Steps several tests take, each awaited with a deadline. */
final class Steps {
  /** How long a deployment may take to reach the edges (heartbeat, download, load). */
  static final Duration ROLLOUT = Duration.ofSeconds(60);

  private Steps() {}

  /** Waits until {@code n} nodes run the deployment's desired revision, ready. */
  static DeploymentStatus awaitInSync(ManagementClient admin, String deployment, int n) {
    DeploymentStatus[] last = new DeploymentStatus[1];
    await(deployment + " in sync on " + n + " node(s)")
        .atMost(ROLLOUT)
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(
            () -> {
              last[0] = admin.status(deployment);
              assertThat(last[0].inSync()).as("%s", last[0]).isEqualTo(n);
            });
    return last[0];
  }

  /** Waits until the edge answers {@code model} from version {@code version}. */
  static void awaitServing(EdgeProcess edge, String model, long version) {
    await(edge.name() + " serving " + model + " version " + version)
        .atMost(ROLLOUT)
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> edge.rest().infer(Models.request(model, 0)).version().equals("" + version));
  }

  /**
   * A cloud as in production for collaborative inference: {@code /v2} needs a bearer token, which
   * edges escalating requests give with their node credential.
   */
  static CloudProcess cloudWithInferenceAuth(Harness harness) {
    CloudProcess cloud = harness.cloud(TestDb.SQLITE, List.of("--inference-auth"));
    assertThat(Http.status(harness.http(), cloud.url().resolve("/v2/models/mlp-large")))
        .as("anonymous inference on the cloud")
        .isEqualTo(401);
    return cloud;
  }

  /**
   * The cascade set-up of the outage tests: the cloud serves {@code mlp-large} (its own model), the
   * edge runs {@code mlp} with a cascade policy whose threshold of 1 escalates every request, so
   * that the answer's {@code strata.served_by} tells whether the cloud answered. Returns once the
   * edge's answers come from the cloud.
   */
  static EdgeProcess cascade(Harness harness, CloudProcess cloud) {
    return cascade(harness, cloud, List.of());
  }

  /** {@link #cascade(Harness, CloudProcess)} with extra {@code strata edge} options. */
  static EdgeProcess cascade(Harness harness, CloudProcess cloud, List<String> edgeOptions) {
    ManagementClient admin = cloud.admin();
    long edgeVersion = admin.publish("mlp", Models.mlp(1));
    long cloudVersion = admin.publish("mlp-large", Models.mlp(7));
    admin.apply("large", Spec.cloud("mlp-large", cloudVersion));
    EdgeProcess edge =
        harness.edge(
            "edge-1",
            cloud,
            Optional.of(admin.enrollmentToken(Map.of("site", "lab"))),
            edgeOptions,
            List.of());
    admin.apply("det", Spec.edge("mlp", edgeVersion).cascade("mlp-large", 1.0));
    awaitInSync(admin, "det", 1);
    await("edge-1 escalating to the cloud")
        .atMost(ROLLOUT)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> Models.servedBy(edge.rest().infer(Models.request("mlp", 0))).equals("cloud"));
    for (int i = 0; i < 20; i++) {
      InferenceResponse r = edge.rest().infer(Models.request("mlp", i));
      assertThat(Models.servedBy(r)).isEqualTo("cloud");
      assertThat(r.model()).isEqualTo("mlp-large");
    }
    return edge;
  }
}
