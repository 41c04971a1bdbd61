package dev.strata.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.strata.api.DeploymentStatus;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A running edge changes its models only by the cloud's signed desired state, tried as someone on
 * the node's machine or a second operator would: the repository API's load and unload are refused
 * (so bytes flipped on disk are never loaded and the model never goes down), with {@code
 * --repository-api} a load verifies the artifact again and an unload of a deployed model is
 * refused, and of two deployments of one model the survivor is applied once the first is deleted.
 */
@Timeout(240)
class EdgeModelControlIT {
  @RegisterExtension final Harness harness = new Harness();

  @Test
  void withoutTheFlagTamperedBytesAreNeverLoadedAndTheModelNeverGoesDown() throws Exception {
    CloudProcess cloud = harness.cloud();
    ManagementClient admin = cloud.admin();
    assertThat(admin.publish("mlp", Models.mlp(1))).isEqualTo(1);
    EdgeProcess edge = harness.edge("edge-1", cloud, Map.of());
    admin.apply("det", Spec.edge("mlp", 1));
    Steps.awaitInSync(admin, "det", 1);
    float[] before = Models.probabilities(edge.rest().infer(Models.request("mlp", 1)));

    flipWeights(edge.dataDir().resolve("models/mlp/1/model.onnx"));
    for (String action : List.of("load", "unload")) {
      HttpResponse<String> r = post(edge, "/v2/repository/models/mlp/" + action);
      assertThat(r.statusCode()).as(action + ": " + r.body()).isEqualTo(403);
      assertThat(r.body()).contains("--repository-api");
    }
    assertThat(Models.probabilities(edge.rest().infer(Models.request("mlp", 1))))
        .containsExactly(before);
    DeploymentStatus status = admin.status("det");
    assertThat(status.failed()).as("%s", status).isZero();
    assertThat(status.inSync()).as("%s", status).isEqualTo(1);
  }

  @Test
  void withTheFlagALoadVerifiesAgainAndAnUnloadIsRefused() throws Exception {
    CloudProcess cloud = harness.cloud();
    ManagementClient admin = cloud.admin();
    assertThat(admin.publish("mlp", Models.mlp(1))).isEqualTo(1);
    EdgeProcess edge =
        harness.edge(
            "edge-1",
            cloud,
            Optional.of(admin.enrollmentToken(Map.of())),
            List.of("--repository-api"),
            List.of());
    admin.apply("det", Spec.edge("mlp", 1));
    Steps.awaitInSync(admin, "det", 1);
    float[] before = Models.probabilities(edge.rest().infer(Models.request("mlp", 1)));
    Path file = edge.dataDir().resolve("models/mlp/1/model.onnx");

    flipWeights(file);
    HttpResponse<String> load = post(edge, "/v2/repository/models/mlp/load");
    assertThat(load.statusCode()).as(load.body()).isEqualTo(200);
    // the damaged bytes were replaced by the signed ones, downloaded again and verified
    assertThat(file).hasBinaryContent(Models.mlp(1));
    assertThat(Models.probabilities(edge.rest().infer(Models.request("mlp", 1))))
        .containsExactly(before);

    HttpResponse<String> unload = post(edge, "/v2/repository/models/mlp/unload");
    assertThat(unload.statusCode()).as(unload.body()).isEqualTo(409);
    assertThat(unload.body()).contains("deployment det");
    assertThat(Models.probabilities(edge.rest().infer(Models.request("mlp", 1))))
        .containsExactly(before);
  }

  @Test
  void ofTwoDeploymentsOfOneModelTheSurvivorIsAppliedWhenTheFirstIsDeleted() throws Exception {
    CloudProcess cloud = harness.cloud();
    ManagementClient admin = cloud.admin();
    assertThat(admin.publish("mlp", Models.mlp(1))).isEqualTo(1);
    assertThat(admin.publish("mlp", Models.mlp(2))).isEqualTo(2);
    EdgeProcess edge = harness.edge("edge-1", cloud, Map.of());
    admin.apply("first", Spec.edge("mlp", 1));
    Steps.awaitInSync(admin, "first", 1);
    admin.apply("second", Spec.edge("mlp", 2));
    await("second reported as a conflict")
        .atMost(Steps.ROLLOUT)
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(
            () ->
                assertThat(admin.status("second").failed())
                    .as("%s", admin.status("second"))
                    .isEqualTo(1));
    Steps.awaitServing(edge, "mlp", 1);

    admin.api().deleteDeployment("first");
    Steps.awaitServing(edge, "mlp", 2);
    Steps.awaitInSync(admin, "second", 1);
  }

  private static void flipWeights(Path file) throws Exception {
    byte[] b = Files.readAllBytes(file);
    for (int i = b.length - 64; i < b.length - 8; i++) {
      b[i] ^= 0x5a;
    }
    Files.write(file, b);
  }

  private HttpResponse<String> post(EdgeProcess edge, String path) throws Exception {
    return harness
        .http()
        .send(
            HttpRequest.newBuilder(edge.url().resolve(path))
                .timeout(Http.CALL_TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }
}
