package dev.strata.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.api.Deployment;
import dev.strata.api.DeploymentStatus;
import dev.strata.control.Json;
import dev.strata.control.LoadState;
import dev.strata.control.LoadedModel;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What reaches an edge is checked against the cloud's signature before it is used. Version 1
 * serves; version 2 is then deployed with its artifact changed in the cloud's store on disk, or
 * with its signed manifest rewritten in the registry database to point at another artifact. Either
 * way the edge rejects revision 2 (its heartbeat reports it FAILED with the reason, the cloud's
 * deployment status shows it), keeps no byte of it, and goes on serving version 1 to clients that
 * never see an error. A model whose only revision was rejected is deployed but not available: the
 * edge answers 503 naming the deployment, also with the cloud down, not 404.
 */
@Timeout(180)
class TamperedArtifactIT {
  @RegisterExtension final Harness harness = new Harness();
  private CloudProcess cloud;
  private ManagementClient admin;
  private EdgeProcess edge;
  private String sha1;

  @BeforeEach
  void serveVersionOne() {
    cloud = harness.cloud();
    admin = cloud.admin();
    byte[] v1 = Models.mlp(1);
    sha1 = ManagementClient.sha256(v1);
    assertThat(admin.publish("mlp", v1)).isEqualTo(1);
    edge = harness.edge("edge-1", cloud, Map.of());
    admin.apply("det", Spec.edge("mlp", 1));
    Steps.awaitInSync(admin, "det", 1);
  }

  @Test
  void artifactChangedInTheCloudsStoreIsRejected() throws Exception {
    byte[] v2 = Models.mlp(2);
    String sha2 = ManagementClient.sha256(v2);
    assertThat(admin.publish("mlp", v2)).isEqualTo(2);
    Path stored =
        cloud.artifactStore().resolve("sha256").resolve(sha2.substring(0, 2)).resolve(sha2);
    assertThat(stored).hasBinaryContent(v2);
    // one flipped bit in the weights: same size, still a loadable model, other answers
    byte[] tampered = v2.clone();
    tampered[tampered.length / 2] ^= 0x01;
    stored.toFile().setWritable(true);
    Files.write(stored, tampered);

    String reason = deployVersionTwoAndAwaitRejection();

    assertThat(reason).contains("sha256").contains(sha2).contains("as signed");
    assertThat(edgeArtifacts()).containsExactly(sha1);
  }

  @Test
  void manifestRewrittenInTheRegistryIsRejected() throws Exception {
    assertThat(admin.publish("mlp", Models.mlp(2))).isEqualTo(2);
    // someone with write access to the database, but not to the signing key, swaps version 2's
    // artifact for their own and rewrites the manifest to match it
    byte[] evil = Models.mlp(666);
    String evilSha = admin.upload(evil);
    try (Connection c = cloud.database().connect(cloud.dataDir())) {
      ObjectNode signed;
      try (PreparedStatement q =
          c.prepareStatement(
              "SELECT manifest FROM variants WHERE model = 'mlp' AND version = 2"
                  + " AND name = 'fp32'")) {
        try (ResultSet rs = q.executeQuery()) {
          assertThat(rs.next()).isTrue();
          signed = (ObjectNode) Json.mapper().readTree(rs.getString(1));
        }
      }
      ObjectNode manifest = (ObjectNode) signed.get("manifest");
      manifest.put("sha256", evilSha);
      manifest.put("size", evil.length);
      try (PreparedStatement u =
          c.prepareStatement(
              "UPDATE variants SET sha256 = ?, size_bytes = ?, manifest = ?"
                  + " WHERE model = 'mlp' AND version = 2 AND name = 'fp32'")) {
        u.setString(1, evilSha);
        u.setLong(2, evil.length);
        u.setString(3, Json.write(signed));
        assertThat(u.executeUpdate()).isEqualTo(1);
      }
    }

    String reason = deployVersionTwoAndAwaitRejection();

    assertThat(reason).contains("signature does not match");
    assertThat(edgeArtifacts()).as("the evil artifact is never downloaded").containsExactly(sha1);
  }

  @Test
  void aModelWhoseOnlyRevisionWasRejectedIsUnavailableNotUnknown() throws Exception {
    byte[] other = Models.mlp(3);
    String sha = ManagementClient.sha256(other);
    assertThat(admin.publish("other", other)).isEqualTo(1);
    Path stored = cloud.artifactStore().resolve("sha256").resolve(sha.substring(0, 2)).resolve(sha);
    byte[] tampered = other.clone();
    tampered[tampered.length / 2] ^= 0x01;
    stored.toFile().setWritable(true);
    Files.write(stored, tampered);
    admin.apply("det-other", Spec.edge("other", 1));
    await("edge-1 rejects det-other")
        .atMost(Steps.ROLLOUT)
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(
            () ->
                assertThat(admin.status("det-other").failed())
                    .as("%s", admin.status("det-other"))
                    .isEqualTo(1));
    cloud.kill();

    HttpResponse<String> r =
        harness
            .http()
            .send(
                HttpRequest.newBuilder(edge.url().resolve("/v2/models/other/infer"))
                    .timeout(Http.CALL_TIMEOUT)
                    .header("Content-Type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,4],"
                                + "\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
    assertThat(r.body())
        .contains("deployment det-other")
        .contains("FAILED")
        .contains("UNAVAILABLE");
    // the model that verified serves on
    assertThat(Models.probabilities(edge.rest().infer(Models.request("mlp", 1)))).hasSize(3);
  }

  /**
   * Deploys version 2 while clients use the edge; returns the reason the edge gave for rejecting
   * it, once the cloud's status shows the rejection, after checking version 1 served throughout.
   */
  private String deployVersionTwoAndAwaitRejection() {
    Load load = Load.start("mlp", List.of(edge.rest(), edge.grpc()));
    String reason;
    try (load) {
      await("load running").atMost(Duration.ofSeconds(30)).until(() -> load.ok() > 50);
      Deployment applied = admin.apply("det", Spec.edge("mlp", 2));
      assertThat(applied.stable().orElseThrow().number()).isEqualTo(2);
      LoadedModel[] actual = new LoadedModel[1];
      await("edge-1 reports revision 2 FAILED")
          .atMost(Steps.ROLLOUT)
          .pollInterval(Duration.ofMillis(200))
          .untilAsserted(
              () -> {
                DeploymentStatus status = admin.status("det");
                assertThat(status.failed()).as("%s", status).isEqualTo(1);
                actual[0] = status.nodes().getFirst().actual().orElseThrow();
                assertThat(actual[0].revision()).isEqualTo(2);
                assertThat(actual[0].state()).isEqualTo(LoadState.FAILED);
              });
      reason = actual[0].error().orElseThrow();
      long atRejection = load.ok();
      await("more answers after the rejection")
          .atMost(Duration.ofSeconds(30))
          .until(() -> load.ok() > atRejection + 50);
    }
    harness.record(load);
    assertThat(load.failures()).as("%s", load).isEmpty();
    assertThat(load.versions()).as("%s", load).containsOnlyKeys("1");
    assertThat(Models.probabilities(edge.rest().infer(Models.request("mlp", 1)))).hasSize(3);
    // the edge says the same as the cloud: version 1 serves, revision 2 failed
    JsonNode models = edge.status().get("models");
    assertThat(models.findValuesAsText("state")).contains("READY", "FAILED");
    assertThat(Files.exists(edge.dataDir().resolve("models/mlp/2"))).isFalse();
    return reason;
  }

  private List<String> edgeArtifacts() throws Exception {
    try (Stream<Path> files = Files.list(edge.dataDir().resolve("artifacts"))) {
      return files.map(p -> p.getFileName().toString()).toList();
    }
  }
}
