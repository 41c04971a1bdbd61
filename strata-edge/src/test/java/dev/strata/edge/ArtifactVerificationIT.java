package dev.strata.edge;

import static dev.strata.edge.testing.TestModels.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.strata.api.DeploymentSpec;
import dev.strata.api.Selector;
import dev.strata.api.Variant;
import dev.strata.control.ArtifactManifest;
import dev.strata.control.DesiredModel;
import dev.strata.control.DesiredState;
import dev.strata.control.LoadState;
import dev.strata.control.LoadedModel;
import dev.strata.control.SignedManifest;
import dev.strata.edge.testing.TestModels;
import dev.strata.protocol.client.StrataClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the cloud sends is checked before it is used: a changed artifact or a changed manifest is
 * rejected, the version before keeps serving, and the heartbeat reports the revision FAILED.
 */
class ArtifactVerificationIT {
  @TempDir Path dir;
  LoopbackCloud cloud;
  EdgeAgent agent;
  StrataClient client;
  Variant v1;

  @BeforeEach
  void serveVersionOne() throws Exception {
    cloud = LoopbackCloud.start(dir.resolve("cloud"), Map.of());
    v1 = cloud.publish("mlp", "fp32", TestModels.mlp(1));
    cloud.deploy("det", DeploymentSpec.edge("mlp", v1.version(), "fp32", Selector.ALL));
    agent =
        EdgeAgent.start(
            TestModels.agent(cloud.url(), dir.resolve("edge"))
                .enrollToken(cloud.enrollmentToken(Map.of()))
                .build());
    client = EdgeAgentIT.local(agent);
    await().atMost(Duration.ofSeconds(30)).until(() -> servingVersion().equals("1"));
  }

  @AfterEach
  void close() {
    client.close();
    agent.close();
    cloud.close();
  }

  private String servingVersion() {
    try {
      return client.infer(request("mlp", 1)).version();
    } catch (RuntimeException e) {
      return "";
    }
  }

  @Test
  void aTamperedArtifactIsRejectedAndTheVersionBeforeKeepsServing() {
    cloud.tamperArtifacts(
        bytes -> {
          byte[] copy = bytes.clone();
          copy[copy.length / 2] ^= 0x5a;
          return copy;
        });
    Variant v2 = cloud.publish("mlp", "fp32", TestModels.mlp(2));
    cloud.deploy("det", DeploymentSpec.edge("mlp", v2.version(), "fp32", Selector.ALL));

    LoadedModel failed = awaitFailed(2);
    assertThat(failed.error()).hasValueSatisfying(e -> assertThat(e).contains("sha256"));
    assertThat(servingVersion()).isEqualTo("1");
    assertThat(Files.exists(dir.resolve("edge/artifacts").resolve(v2.sha256()))).isFalse();
    assertThat(Files.exists(dir.resolve("edge/models/mlp/2"))).isFalse();
  }

  @Test
  void aManifestWithAnotherSignatureIsRejectedBeforeDownloading() {
    cloud.tamperDesiredStates(
        manifests(
            s ->
                new SignedManifest(
                    s.manifest(), java.util.Base64.getEncoder().encodeToString(new byte[64]))));
    int downloadsBefore = cloud.artifactRequests().size();
    Variant v2 = cloud.publish("mlp", "fp32", TestModels.mlp(2));
    cloud.deploy("det", DeploymentSpec.edge("mlp", v2.version(), "fp32", Selector.ALL));

    LoadedModel failed = awaitFailed(2);
    assertThat(failed.error()).hasValueSatisfying(e -> assertThat(e).contains("signature"));
    assertThat(servingVersion()).isEqualTo("1");
    assertThat(cloud.artifactRequests()).hasSize(downloadsBefore);
    assertThat(Files.exists(dir.resolve("edge/artifacts").resolve(v2.sha256() + ".partial")))
        .isFalse();
  }

  @Test
  void aManifestWhoseDigestWasChangedIsRejected() {
    // the tampered manifest names other bytes (those of version 1, which the cloud would serve)
    cloud.tamperDesiredStates(
        manifests(
            s -> {
              ArtifactManifest m = s.manifest();
              return new SignedManifest(
                  new ArtifactManifest(
                      m.schema(),
                      m.model(),
                      m.version(),
                      m.variant(),
                      m.format(),
                      v1.sha256(),
                      v1.size(),
                      m.createdAt(),
                      m.keyId()),
                  s.signature());
            }));
    Variant v2 = cloud.publish("mlp", "fp32", TestModels.mlp(2));
    cloud.deploy("det", DeploymentSpec.edge("mlp", v2.version(), "fp32", Selector.ALL));

    LoadedModel failed = awaitFailed(2);
    assertThat(failed.error())
        .hasValueSatisfying(e -> assertThat(e).contains("signature does not match"));
    assertThat(servingVersion()).isEqualTo("1");
  }

  @Test
  void aSignedModelTheRuntimeCannotLoadIsRejectedAndPutBack() throws Exception {
    Variant v2 = cloud.publish("mlp", "fp32", "not an onnx model".getBytes());
    cloud.deploy("det", DeploymentSpec.edge("mlp", v2.version(), "fp32", Selector.ALL));

    LoadedModel failed = awaitFailed(2);
    assertThat(failed.error()).hasValueSatisfying(e -> assertThat(e).startsWith("load failed"));
    assertThat(servingVersion()).isEqualTo("1");
    assertThat(Files.exists(dir.resolve("edge/models/mlp/2"))).isFalse();
    assertThat(
            dev.strata.control.Json.mapper()
                .readTree(Files.readString(dir.resolve("edge/models/mlp/config.json")))
                .at("/version_policy/specific/versions")
                .toString())
        .isEqualTo("[1]");
  }

  @Test
  void aVersionThatVerifiesIsServedAfterARejectedOne() {
    cloud.tamperArtifacts(
        bytes -> {
          byte[] reversed = new byte[bytes.length];
          for (int i = 0; i < bytes.length; i++) {
            reversed[i] = bytes[bytes.length - 1 - i];
          }
          return reversed;
        });
    Variant v2 = cloud.publish("mlp", "fp32", TestModels.mlp(2));
    cloud.deploy("det", DeploymentSpec.edge("mlp", v2.version(), "fp32", Selector.ALL));
    awaitFailed(2);

    cloud.tamperArtifacts(UnaryOperator.identity());
    Variant v3 = cloud.publish("mlp", "fp32", TestModels.mlp(3));
    cloud.deploy("det", DeploymentSpec.edge("mlp", v3.version(), "fp32", Selector.ALL));
    await().atMost(Duration.ofSeconds(30)).until(() -> servingVersion().equals("3"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> EdgeAgentIT.lastHeartbeatShows(cloud, "det", LoadState.READY));
    assertThat(Files.exists(dir.resolve("edge/models/mlp/1"))).isFalse();
  }

  @Test
  void aDamagedLocalArtifactIsNotServedAfterARestartAndIsFetchedAgain() throws Exception {
    agent.close();
    client.close();
    Path artifact = dir.resolve("edge/artifacts").resolve(v1.sha256());
    byte[] bytes = Files.readAllBytes(artifact);
    bytes[bytes.length / 3] ^= 1;
    Files.write(artifact, bytes); // the model file is the same inode: both are damaged

    cloud.stop();
    agent = EdgeAgent.start(TestModels.agent(cloud.url(), dir.resolve("edge")).build());
    client = EdgeAgentIT.local(agent);
    agent.startup().join();
    assertThat(client.modelReady("mlp", Optional.empty())).isFalse();
    assertThat(Files.exists(dir.resolve("edge/models/mlp"))).isFalse();

    cloud.restart();
    await().atMost(Duration.ofSeconds(30)).until(() -> servingVersion().equals("1"));
    assertThat(Files.readAllBytes(artifact)).isEqualTo(TestModels.mlp(1));
  }

  @Test
  void aNewPolicyForTheSameModelAppliesWithoutReloading() {
    assertThat(client.infer(request("mlp", 1)).parameters())
        .containsEntry(CollaborativeInferenceService.SERVED_BY, "edge")
        .doesNotContainKey(CollaborativeInferenceService.CONFIDENCE);
    cloud.deploy(
        "det",
        DeploymentSpec.edge("mlp", v1.version(), "fp32", Selector.ALL)
            .withPolicy(
                new dev.strata.control.InferencePolicy.Cascade(
                    dev.strata.control.ConfidenceMeasure.MARGIN, 0.0, Optional.empty())));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                client
                    .infer(request("mlp", 1))
                    .parameters()
                    .containsKey(CollaborativeInferenceService.CONFIDENCE));
    assertThat(client.statistics(Optional.of("mlp"), Optional.empty()))
        .singleElement()
        .satisfies(st -> assertThat(st.version()).isEqualTo("1"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                cloud.heartbeats.getLast().models().stream()
                    .anyMatch(m -> m.revision() == 2 && m.state() == LoadState.READY));
  }

  @Test
  void aRemovedDeploymentIsUnloadedAndDeleted() {
    cloud.api.deleteDeployment("det");
    await().atMost(Duration.ofSeconds(30)).until(() -> !client.modelReady("mlp", Optional.empty()));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !Files.exists(dir.resolve("edge/models/mlp")));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !Files.exists(dir.resolve("edge/artifacts").resolve(v1.sha256())));
  }

  /** Waits for a heartbeat that reports the deployment's revision failed. */
  private LoadedModel awaitFailed(long revision) {
    return await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                cloud.heartbeats.stream()
                    .flatMap(h -> h.models().stream())
                    .filter(m -> m.revision() == revision && m.state() == LoadState.FAILED)
                    .findFirst(),
            Optional::isPresent)
        .orElseThrow();
  }

  private static UnaryOperator<DesiredState> manifests(UnaryOperator<SignedManifest> change) {
    return s -> {
      List<DesiredModel> models =
          s.models().stream()
              .map(
                  m ->
                      m.revision() == 1
                          ? m
                          : new DesiredModel(
                              m.deployment(),
                              m.revision(),
                              m.canary(),
                              m.model(),
                              m.version(),
                              m.variant(),
                              m.format(),
                              m.sha256(),
                              m.size(),
                              change.apply(m.manifest()),
                              m.policy(),
                              m.hardExamples()))
              .toList();
      return new DesiredState(s.nodeId(), models, s.etag());
    };
  }
}
