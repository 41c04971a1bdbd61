package dev.strata.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.strata.api.DeploymentSpec;
import dev.strata.api.Selector;
import dev.strata.api.Variant;
import dev.strata.edge.testing.TestModels;
import dev.strata.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.strata.protocol.grpc.RepositoryIndexRequest;
import dev.strata.protocol.grpc.RepositoryModelLoadRequest;
import dev.strata.protocol.grpc.RepositoryModelUnloadRequest;
import dev.strata.serving.ModelControl;
import dev.strata.serving.ServingConfig;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The edge serves only what the cloud signed: without {@code --repository-api} the local repository
 * API's load and unload are refused over REST (403) and gRPC (PERMISSION_DENIED) and the model
 * keeps serving; with it, they reach the service's model control hook, which on an agent is the
 * reconciler: a load verifies the deployed artifact again, an unload of a deployed model is
 * refused.
 */
class RepositoryApiIT {
  private static final String BODY =
      "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,8],\"datatype\":\"FP32\",\"data\":[1,2,3,4,5,6,7,8]}]}";

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void withoutTheFlagLoadAndUnloadAreRefusedAndTheModelKeepsServing() throws Exception {
    try (LoopbackCloud cloud = LoopbackCloud.start(dir.resolve("cloud"), Map.of());
        EdgeAgent agent = EdgeAgent.start(config(cloud, false))) {
      URI base = servingMlp(agent);
      ManagedChannel channel = channel(agent);
      try {
        for (String action : List.of("load", "unload")) {
          HttpResponse<String> r = post(base, "/v2/repository/models/mlp/" + action, "{}");
          assertThat(r.statusCode()).as(action).isEqualTo(403);
          assertThat(r.body())
              .contains("PERMISSION_DENIED")
              .contains("signed deployments")
              .contains("--repository-api");
        }
        var stub = stub(channel);
        assertThatThrownBy(
                () ->
                    stub.repositoryModelUnload(
                        RepositoryModelUnloadRequest.newBuilder().setModelName("mlp").build()))
            .isInstanceOfSatisfying(
                StatusRuntimeException.class,
                e -> {
                  assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                  assertThat(e.getStatus().getDescription()).contains("--repository-api");
                });
        assertThatThrownBy(
                () ->
                    stub.repositoryModelLoad(
                        RepositoryModelLoadRequest.newBuilder().setModelName("mlp").build()))
            .isInstanceOfSatisfying(
                StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));

        assertThat(post(base, "/v2/models/mlp/infer", BODY).statusCode()).isEqualTo(200);
        assertThat(post(base, "/v2/repository/index", "{}").body()).contains("\"mlp\"");
        assertThat(
                stub.repositoryIndex(RepositoryIndexRequest.newBuilder().setReady(true).build())
                    .getModelsList())
            .anySatisfy(m -> assertThat(m.getName()).isEqualTo("mlp"));
      } finally {
        channel.shutdownNow();
      }
    }
  }

  @Test
  void withTheFlagLoadAndUnloadReachTheHook() throws Exception {
    try (LoopbackCloud cloud = LoopbackCloud.start(dir.resolve("cloud"), Map.of());
        EdgeAgent agent = EdgeAgent.start(config(cloud, true))) {
      List<String> calls = new CopyOnWriteArrayList<>();
      agent
          .service()
          .modelControl(
              new ModelControl() {
                @Override
                public void load(String model) {
                  calls.add("load " + model);
                }

                @Override
                public void unload(String model) {
                  calls.add("unload " + model);
                }
              });
      URI base = servingMlp(agent);
      ManagedChannel channel = channel(agent);
      try {
        assertThat(post(base, "/v2/repository/models/mlp/load", "{}").statusCode()).isEqualTo(200);
        stub(channel)
            .repositoryModelUnload(
                RepositoryModelUnloadRequest.newBuilder().setModelName("mlp").build());
        assertThat(calls).containsExactly("load mlp", "unload mlp");
        assertThat(post(base, "/v2/models/mlp/infer", BODY).statusCode()).isEqualTo(200);
      } finally {
        channel.shutdownNow();
      }
    }
  }

  @Test
  void withTheFlagALoadVerifiesAgainAndServesOnlyTheSignedBytes() throws Exception {
    try (LoopbackCloud cloud = LoopbackCloud.start(dir.resolve("cloud"), Map.of());
        EdgeAgent agent = EdgeAgent.start(config(cloud, true))) {
      URI base = servingMlp(agent);
      String before = post(base, "/v2/models/mlp/infer", BODY).body();
      // flip bytes of the installed file (a hard link to the cached artifact) and of its weights
      Path file = dir.resolve("edge/models/mlp/1/model.onnx");
      byte[] b = Files.readAllBytes(file);
      for (int i = b.length - 64; i < b.length; i++) {
        b[i] ^= 0x5a;
      }
      Files.write(file, b);
      HttpResponse<String> load = post(base, "/v2/repository/models/mlp/load", "{}");
      assertThat(load.statusCode()).as(load.body()).isEqualTo(200);
      // the damaged artifact was downloaded again from the cloud, verified, and installed
      assertThat(cloud.artifactRequests()).hasSize(2);
      assertThat(Files.readAllBytes(file)).isEqualTo(TestModels.mlp(1));
      assertThat(post(base, "/v2/models/mlp/infer", BODY).body()).isEqualTo(before);
    }
  }

  @Test
  void withTheFlagADamagedArtifactIsNotLoadedWhileTheCloudIsAway() throws Exception {
    try (LoopbackCloud cloud = LoopbackCloud.start(dir.resolve("cloud"), Map.of());
        EdgeAgent agent = EdgeAgent.start(config(cloud, true))) {
      URI base = servingMlp(agent);
      String before = post(base, "/v2/models/mlp/infer", BODY).body();
      cloud.stop();
      Path file = dir.resolve("edge/models/mlp/1/model.onnx");
      byte[] b = Files.readAllBytes(file);
      b[b.length - 8] ^= 0x5a;
      Files.write(file, b);
      HttpResponse<String> load = post(base, "/v2/repository/models/mlp/load", "{}");
      assertThat(load.statusCode()).as(load.body()).isEqualTo(503);
      assertThat(load.body()).contains("cannot be verified now");
      // the runtime still serves the verified model it had
      assertThat(post(base, "/v2/models/mlp/infer", BODY).body()).isEqualTo(before);
    }
  }

  @Test
  void withTheFlagUnloadOfADeployedModelIsRefusedAndUnknownModelsAreNotFound() throws Exception {
    try (LoopbackCloud cloud = LoopbackCloud.start(dir.resolve("cloud"), Map.of());
        EdgeAgent agent = EdgeAgent.start(config(cloud, true))) {
      URI base = servingMlp(agent);
      HttpResponse<String> unload = post(base, "/v2/repository/models/mlp/unload", "{}");
      assertThat(unload.statusCode()).isEqualTo(409);
      assertThat(unload.body()).contains("deployment det").contains("only the cloud removes it");
      assertThat(agent.service().modelReady("mlp", Optional.empty())).isTrue();
      HttpResponse<String> other = post(base, "/v2/repository/models/other/load", "{}");
      assertThat(other.statusCode()).isEqualTo(404);
      assertThat(other.body()).contains("not deployed to this node");
    }
  }

  private EdgeConfig config(LoopbackCloud cloud, boolean repositoryApi) throws Exception {
    Variant v = cloud.publish("mlp", "fp32", TestModels.mlp(1));
    cloud.deploy("det", DeploymentSpec.edge("mlp", v.version(), "fp32", Selector.ALL));
    return TestModels.agent(cloud.url(), dir.resolve("edge"))
        .serving(
            ServingConfig.ephemeral()
                .withPorts(0, 0)
                .withDrainTimeout(Duration.ofSeconds(2))
                .withIoThreads(2))
        .enrollToken(cloud.enrollmentToken(Map.of()))
        .repositoryApi(repositoryApi)
        .build();
  }

  /** Waits until the cloud's deployment of {@code mlp} serves on the agent. */
  private URI servingMlp(EdgeAgent agent) {
    URI base = URI.create("http://127.0.0.1:" + agent.httpPort());
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> post(base, "/v2/models/mlp/infer", BODY).statusCode() == 200);
    return base;
  }

  private static ManagedChannel channel(EdgeAgent agent) {
    return NettyChannelBuilder.forAddress("127.0.0.1", agent.grpcPort().orElseThrow())
        .usePlaintext()
        .build();
  }

  private static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub(
      ManagedChannel channel) {
    return GRPCInferenceServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private HttpResponse<String> post(URI base, String path, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(base.resolve(path))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
