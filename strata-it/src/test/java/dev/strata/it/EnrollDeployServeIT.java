package dev.strata.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.api.Deployment;
import dev.strata.api.DeploymentStatus;
import dev.strata.api.Node;
import dev.strata.api.NodeRollout;
import dev.strata.api.NodeState;
import dev.strata.control.LoadState;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.protocol.client.StrataClient;
import dev.strata.registry.testing.TestDb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The basic path across processes, on SQLite and on PostgreSQL: a model registered and uploaded
 * through the management API, an edge enrolled with a one-time token (pinning the key it was given
 * with {@code --cloud-key}), a deployment selecting it by label; the edge then serves the model
 * over its own {@code /v2}, REST and gRPC, with exactly the answers the cloud gives for the same
 * variant.
 */
@ParameterizedClass
@EnumSource(TestDb.class)
@Timeout(180)
class EnrollDeployServeIT {
  @RegisterExtension final Harness harness = new Harness();
  @Parameter TestDb database;

  @Test
  void enrolledEdgeServesTheDeployedModelLikeTheCloud() throws Exception {
    CloudProcess cloud = harness.cloud(database);
    ManagementClient admin = cloud.admin();
    long v1 = admin.publish("mlp", Models.mlp(1));
    // the cloud serves the same variant, to compare answers with
    assertThat(admin.apply("mlp-cloud", Spec.cloud("mlp", v1)).stable().orElseThrow().version())
        .isEqualTo(v1);

    String token = admin.enrollmentToken(Map.of("site", "lab"));
    EdgeProcess edge =
        harness.edge(
            "edge-1",
            cloud,
            Optional.of(token),
            List.of("--cloud-key", admin.signingKey()),
            List.of());
    await("edge-1 enrolled")
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              List<Node> nodes = admin.nodes();
              assertThat(nodes).hasSize(1);
              assertThat(nodes.getFirst().name()).isEqualTo("edge-1");
              assertThat(nodes.getFirst().labels()).containsEntry("site", "lab");
              assertThat(nodes.getFirst().state()).isEqualTo(NodeState.ONLINE);
            });
    String nodeId = edge.nodeId().orElseThrow();
    assertThat(admin.nodes().getFirst().id()).isEqualTo(nodeId);

    Deployment created = admin.apply("mlp-edge", Spec.edge("mlp", v1).selector("site=lab"));
    assertThat(created.stable().orElseThrow().number()).isEqualTo(1);
    await("edge-1 in sync with mlp-edge")
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              DeploymentStatus status = admin.status("mlp-edge");
              assertThat(status.inSync()).as("%s", status).isEqualTo(1);
              NodeRollout node = status.nodes().getFirst();
              assertThat(node.nodeId()).isEqualTo(nodeId);
              assertThat(node.actual().orElseThrow().state()).isEqualTo(LoadState.READY);
            });
    StrataClient cloudRest = cloud.rest();
    await("the cloud serves mlp")
        .atMost(Duration.ofSeconds(60))
        .until(() -> cloudRest.modelReady("mlp", Optional.of(Long.toString(v1))));

    StrataClient edgeRest = edge.rest();
    StrataClient edgeGrpc = edge.grpc();
    assertThat(edgeRest.modelReady("mlp", Optional.empty())).isTrue();
    assertThat(edgeGrpc.modelReady("mlp", Optional.empty())).isTrue();
    for (int i = 0; i < 25; i++) {
      InferenceRequest request = Models.request("mlp", i);
      InferenceResponse fromCloud = cloudRest.infer(request);
      for (InferenceResponse fromEdge : List.of(edgeRest.infer(request), edgeGrpc.infer(request))) {
        assertThat(fromEdge.model()).isEqualTo("mlp");
        assertThat(fromEdge.version()).isEqualTo(Long.toString(v1));
        assertThat(Models.servedBy(fromEdge)).isEqualTo("edge");
        // same bytes, same runtime: the same floats, not merely close ones
        assertThat(Models.probabilities(fromEdge))
            .as("request %d", i)
            .containsExactly(Models.probabilities(fromCloud));
      }
    }

    // what the edge serves is the artifact the registry holds, under its digest
    String sha = admin.api().variant("mlp", v1, "fp32").sha256();
    Path cached = edge.dataDir().resolve("artifacts").resolve(sha);
    assertThat(cached).exists();
    assertThat(ManagementClient.sha256(Files.readAllBytes(cached))).isEqualTo(sha);
    JsonNode edgeStatus = edge.status();
    assertThat(edgeStatus.get("connected").asBoolean()).isTrue();
    assertThat(edgeStatus.get("health").asText()).isEqualTo("HEALTHY");

    // both stop on SIGTERM through their shutdown hooks (143 = 128 + SIGTERM), in time
    assertThat(edge.stop()).isEqualTo(143);
    assertThat(cloud.stop()).isEqualTo(143);
    assertThat(edge.process().tail(5)).contains("edge agent stopped");
    assertThat(cloud.process().tail(5)).contains("Shutdown completed");
  }
}
