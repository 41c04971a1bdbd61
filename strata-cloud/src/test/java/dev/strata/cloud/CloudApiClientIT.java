package dev.strata.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.strata.api.Artifact;
import dev.strata.api.CloudApiClient;
import dev.strata.api.CreateEnrollmentTokenRequest;
import dev.strata.api.CreateModelRequest;
import dev.strata.api.CreateVariantRequest;
import dev.strata.api.CreateVersionRequest;
import dev.strata.api.Deployment;
import dev.strata.api.DeploymentSpec;
import dev.strata.api.DeploymentStatus;
import dev.strata.api.IssuedEnrollmentToken;
import dev.strata.api.ModelVersion;
import dev.strata.api.Node;
import dev.strata.api.RevisionStatus;
import dev.strata.api.Sample;
import dev.strata.api.Selector;
import dev.strata.api.Stage;
import dev.strata.api.UpdateVersionRequest;
import dev.strata.api.Variant;
import dev.strata.control.DesiredState;
import dev.strata.control.EnrollRequest;
import dev.strata.control.Enrollment;
import dev.strata.control.HardExamplePolicy;
import dev.strata.control.Heartbeat;
import dev.strata.control.HeartbeatResponse;
import dev.strata.control.Json;
import dev.strata.control.LoadState;
import dev.strata.control.SampleUpload;
import dev.strata.control.Sha256;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.onnx.ExampleModels;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link CloudApiClient} against a real cloud on loopback. */
class CloudApiClientIT {
  static final String ADMIN = "client-it-admin-token-0123456789";

  @TempDir static Path dir;
  static CloudServer server;
  static CloudApiClient cloud;

  @BeforeAll
  static void start() {
    server =
        CloudServer.start(
            CloudConfig.builder(dir.resolve("cloud"))
                .ports(0, -1)
                .adminToken(ADMIN)
                .ioThreads(2)
                .apiThreads(4)
                .reconcileInterval(Duration.ofMillis(500))
                .drainTimeout(Duration.ofSeconds(5))
                .build());
    cloud = CloudApiClient.create(server.httpUri(), ADMIN);
  }

  @AfterAll
  static void stop() {
    cloud.close();
    server.close();
  }

  static Path onnx(String name, long seed) throws Exception {
    Path file = dir.resolve(name + ".onnx");
    Files.write(file, ExampleModels.mlp(4, 8, 3, seed).toByteArray());
    return file;
  }

  @Test
  void registersUploadsAndDeploysToTheCloudIdempotently() throws Exception {
    Path file = onnx("mlp-1", 1);
    String sha = CloudApiClient.sha256(file);
    assertThat(sha).isEqualTo(Sha256.hex(Files.readAllBytes(file)));
    assertThat(cloud.hasArtifact(sha)).isFalse();

    Artifact a = cloud.uploadArtifact(file);
    assertThat(a.sha256()).isEqualTo(sha);
    assertThat(a.size()).isEqualTo(Files.size(file));
    assertThat(cloud.hasArtifact(sha)).isTrue();
    assertThat(cloud.uploadArtifact(file)).isEqualTo(a);

    assertThat(cloud.findModel("client-mlp")).isEmpty();
    cloud.createModel(new CreateModelRequest("client-mlp", "an MLP", Map.of("team", "it")));
    assertThat(cloud.findModel("client-mlp"))
        .get()
        .extracting(m -> m.tags().get("team"))
        .isEqualTo("it");
    assertThat(cloud.models()).extracting(m -> m.name()).contains("client-mlp");

    ModelVersion v1 = cloud.createVersion("client-mlp", CreateVersionRequest.EMPTY);
    assertThat(v1.version()).isEqualTo(1);
    assertThat(v1.stage()).isEqualTo(Stage.STAGING);
    Variant fp32 = cloud.addVariant("client-mlp", 1, CreateVariantRequest.onnx("fp32", sha));
    assertThat(fp32.size()).isEqualTo(a.size());
    assertThat(fp32.manifest().manifest().sha256()).isEqualTo(sha);
    assertThat(cloud.variant("client-mlp", 1, "fp32")).isEqualTo(fp32);
    assertThat(cloud.version("client-mlp", 1).variants()).containsExactly(fp32);
    assertThat(
            cloud
                .updateVersion("client-mlp", 1, UpdateVersionRequest.stage(Stage.PRODUCTION))
                .stage())
        .isEqualTo(Stage.PRODUCTION);

    Deployment d =
        cloud.applyDeployment("client-mlp", DeploymentSpec.cloud("client-mlp", 1, "fp32"));
    assertThat(d.stable()).get().extracting(r -> r.number()).isEqualTo(1L);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                cloud.cloudStatus().models().stream()
                    .anyMatch(m -> m.model().equals("client-mlp") && m.state() == LoadState.READY));
    // the same spec again is no new revision
    assertThat(
            cloud
                .applyDeployment("client-mlp", DeploymentSpec.cloud("client-mlp", 1, "fp32"))
                .stable()
                .orElseThrow()
                .number())
        .isEqualTo(1);

    cloud.createVersion("client-mlp", CreateVersionRequest.EMPTY);
    Path second = onnx("mlp-2", 2);
    cloud.addVariant(
        "client-mlp", 2, CreateVariantRequest.onnx("fp32", cloud.uploadArtifact(second).sha256()));
    assertThat(cloud.versions("client-mlp"))
        .extracting(ModelVersion::version)
        .containsExactly(2L, 1L);
    cloud.applyDeployment("client-mlp", DeploymentSpec.cloud("client-mlp", 2, "fp32"));
    assertThat(cloud.deployment("client-mlp").stable().orElseThrow().version()).isEqualTo(2);

    Deployment back = cloud.rollback("client-mlp", Optional.of("client test"));
    assertThat(back.stable().orElseThrow().version()).isEqualTo(1);
    assertThat(cloud.revisions("client-mlp"))
        .extracting(r -> r.status())
        .contains(RevisionStatus.ROLLED_BACK);
    assertThat(cloud.deployments()).extracting(Deployment::name).contains("client-mlp");

    cloud.deleteDeployment("client-mlp");
    assertThat(cloud.findDeployment("client-mlp")).isEmpty();
  }

  @Test
  void streamsLargeUploadsAndAnswersAtOnceForStoredContent() throws Exception {
    Path big = dir.resolve("big.bin");
    byte[] bytes = new byte[12 << 20];
    new Random(7).nextBytes(bytes);
    Files.write(big, bytes);
    Artifact first = cloud.uploadArtifact(big);
    assertThat(first.size()).isEqualTo(bytes.length);
    // announced content the cloud has: 200 before the body is read; the client still gets it
    for (int i = 0; i < 3; i++) {
      assertThat(cloud.uploadArtifact(big)).isEqualTo(first);
    }
    assertThat(cloud.models()).isNotNull(); // the connection is still usable
  }

  @Test
  void enrollmentTokensNodesAndDeploymentStatus() throws Exception {
    IssuedEnrollmentToken t =
        cloud.createEnrollmentToken(
            new CreateEnrollmentTokenRequest(
                "for the client test", Map.of("site", "a"), Optional.of(Duration.ofMinutes(5))));
    assertThat(t.token()).startsWith("ste_");
    assertThat(t.info().labels()).containsEntry("site", "a");

    Enrollment e = enroll(t.token(), "client-node");
    heartbeat(e.credential());
    assertThat(cloud.nodes("site=a"))
        .singleElement()
        .satisfies(
            n -> {
              assertThat(n.id()).isEqualTo(e.nodeId());
              assertThat(n.name()).isEqualTo("client-node");
            });
    assertThat(cloud.nodes("site=b")).isEmpty();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> cloud.node(e.nodeId()).node().lastHeartbeat().isPresent());
    assertThat(cloud.node(e.nodeId()).node().lastHeartbeat().orElseThrow().agentVersion())
        .isEqualTo("client-it");

    Path file = onnx("edge-mlp", 3);
    cloud.createModel(CreateModelRequest.of("client-edge"));
    cloud.createVersion("client-edge", CreateVersionRequest.EMPTY);
    cloud.addVariant(
        "client-edge", 1, CreateVariantRequest.onnx("small", cloud.uploadArtifact(file).sha256()));
    cloud.applyDeployment(
        "client-edge", DeploymentSpec.edge("client-edge", 1, "small", Selector.parse("site=a")));
    DeploymentStatus s = cloud.deploymentStatus("client-edge");
    assertThat(s.nodes())
        .singleElement()
        .satisfies(
            n -> {
              assertThat(n.nodeId()).isEqualTo(e.nodeId());
              assertThat(n.desired()).contains(1L);
              assertThat(n.inSync()).isFalse();
            });
    assertThat(s.pending()).isEqualTo(1);
    assertThat(cloud.node(e.nodeId()).desired().models())
        .singleElement()
        .satisfies(m -> assertThat(m.model()).isEqualTo("client-edge"));

    cloud.deleteDeployment("client-edge");
    cloud.deleteNode(e.nodeId());
    assertThat(cloud.nodes()).extracting(Node::id).doesNotContain(e.nodeId());
  }

  @Test
  void failuresCarryTheServersCodeAndMessage() throws Exception {
    cloud.createModel(CreateModelRequest.of("client-taken"));
    assertThatThrownBy(() -> cloud.createModel(CreateModelRequest.of("client-taken")))
        .isInstanceOfSatisfying(
            StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ALREADY_EXISTS))
        .hasMessage("model client-taken: already exists");
    assertThatThrownBy(() -> cloud.version("client-taken", 9))
        .isInstanceOfSatisfying(
            StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
    assertThatThrownBy(() -> cloud.rollback("nothing-here", Optional.empty()))
        .isInstanceOfSatisfying(
            StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));

    Path file = onnx("mismatch", 4);
    String wrong = Sha256.hex(new byte[] {1, 2, 3});
    assertThatThrownBy(() -> cloud.uploadArtifact(file, wrong))
        .isInstanceOfSatisfying(
            StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    assertThat(cloud.hasArtifact(wrong)).isFalse();
    assertThat(cloud.hasArtifact(CloudApiClient.sha256(file))).isFalse();

    try (CloudApiClient stranger =
        CloudApiClient.create(server.httpUri(), "not-the-admin-token-at-all")) {
      assertThatThrownBy(stranger::models)
          .isInstanceOfSatisfying(
              StrataException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED));
    }
    try (CloudApiClient nobody = CloudApiClient.builder(server.httpUri()).build()) {
      assertThatThrownBy(nobody::models)
          .isInstanceOfSatisfying(
              StrataException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED));
    }
    try (CloudApiClient gone =
        CloudApiClient.builder(URI.create("http://127.0.0.1:1"))
            .token(ADMIN)
            .connectTimeout(Duration.ofSeconds(2))
            .build()) {
      assertThatThrownBy(gone::models)
          .isInstanceOfSatisfying(
              StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE))
          .hasMessageContaining("http://127.0.0.1:1");
    }
    assertThatThrownBy(() -> CloudApiClient.create(URI.create("ftp://host"), ADMIN))
        .isInstanceOf(StrataException.class)
        .hasMessageContaining("expected: http://host:port");
  }

  @Test
  void speaksTheNodeSideWithTheNodesCredential() throws Exception {
    assertThat(cloud.signingKey())
        .satisfies(
            k -> {
              assertThat(k.publicKey()).isEqualTo(server.manifestPublicKey());
              assertThat(k.keyId()).isEqualTo(server.manifestKeyId());
              assertThat(k.algorithm()).isEqualTo("Ed25519");
            });
    String token =
        cloud
            .createEnrollmentToken(CreateEnrollmentTokenRequest.withLabels(Map.of("site", "n")))
            .token();
    Enrollment e;
    try (CloudApiClient anonymous = CloudApiClient.builder(server.httpUri()).build()) {
      e = anonymous.enroll(new EnrollRequest(token, "node-side", Map.of()));
      assertThatThrownBy(() -> anonymous.enroll(new EnrollRequest(token, "again", Map.of())))
          .isInstanceOfSatisfying(
              StrataException.class,
              ex -> assertThat(ex.code()).isEqualTo(ErrorCode.UNAUTHENTICATED));
    }
    assertThat(cloud.enrollmentTokens())
        .anySatisfy(t -> assertThat(t.nodeId()).contains(e.nodeId()));
    CloudApiClient node = cloud.withToken(e.credential());

    Path file = onnx("node-side", 5);
    cloud.createModel(CreateModelRequest.of("node-side"));
    cloud.createVersion("node-side", CreateVersionRequest.EMPTY);
    Variant v =
        cloud.addVariant(
            "node-side",
            1,
            CreateVariantRequest.onnx("small", cloud.uploadArtifact(file).sha256()));
    cloud.applyDeployment(
        "node-side",
        DeploymentSpec.edge("node-side", 1, "small", Selector.parse("site=n"))
            .withHardExamples(HardExamplePolicy.upTo(1 << 20, 1 << 16)));

    HeartbeatResponse answer = node.heartbeatAsync(Heartbeat.healthy("client-it")).join();
    DesiredState state = node.desiredState(Optional.empty()).orElseThrow();
    assertThat(state.etag()).isEqualTo(answer.desiredStateEtag());
    assertThat(state.models())
        .singleElement()
        .satisfies(m -> assertThat(m.sha256()).isEqualTo(v.sha256()));
    assertThat(node.desiredState(Optional.of(state.etag()))).isEmpty(); // 304
    assertThat(node.desiredStateAsync(Optional.of(state.etag())).join()).isEmpty();

    Path partial = dir.resolve("node-side.partial");
    byte[] whole = Files.readAllBytes(file);
    Files.write(partial, java.util.Arrays.copyOf(whole, whole.length / 2)); // resumed from here
    node.downloadArtifact(v.sha256(), partial, v.size());
    assertThat(Files.readAllBytes(partial)).isEqualTo(whole);

    Sample sample =
        node.uploadSample(
            new SampleUpload(
                "node-side",
                "application/json",
                Json.mapper().readTree("{\"edge\":1}"),
                Json.mapper().readTree("{\"cloud\":2}")),
            "{\"inputs\":[]}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(sample.nodeId()).isEqualTo(e.nodeId());
    assertThat(cloud.samples("node-side", 10)).extracting(Sample::id).containsExactly(sample.id());
    assertThat(cloud.sampleInput(sample.id())).asString().isEqualTo("{\"inputs\":[]}");
    assertThat(cloud.sampleUsage("node-side").samples()).isEqualTo(1);

    // a node credential is no management credential, and a deleted node's is refused
    assertThatThrownBy(node::models)
        .isInstanceOfSatisfying(
            StrataException.class,
            ex -> assertThat(ex.code()).isEqualTo(ErrorCode.PERMISSION_DENIED));
    cloud.deleteDeployment("node-side");
    cloud.deleteNode(e.nodeId());
    assertThatThrownBy(() -> node.heartbeat(Heartbeat.healthy("client-it")))
        .isInstanceOfSatisfying(
            StrataException.class,
            ex -> assertThat(ex.code()).isEqualTo(ErrorCode.UNAUTHENTICATED));
    assertThatThrownBy(() -> node.heartbeatAsync(Heartbeat.healthy("client-it")).join())
        .hasCauseInstanceOf(StrataException.class);
  }

  private static Enrollment enroll(String token, String name) {
    try (CloudApiClient anonymous = CloudApiClient.builder(server.httpUri()).build()) {
      return anonymous.enroll(new EnrollRequest(token, name, Map.of()));
    }
  }

  private static void heartbeat(String credential) {
    cloud.withToken(credential).heartbeat(Heartbeat.healthy("client-it"));
  }
}
