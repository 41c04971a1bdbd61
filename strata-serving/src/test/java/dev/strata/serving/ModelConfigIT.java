package dev.strata.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strata.core.DataType;
import dev.strata.core.ErrorCode;
import dev.strata.core.InferenceRequest;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import dev.strata.modelconfig.Triton;
import dev.strata.onnx.ExampleModels;
import dev.strata.onnx.OnnxGraphBuilder;
import dev.strata.protocol.client.InferOptions;
import dev.strata.protocol.client.StrataClient;
import dev.strata.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.strata.protocol.grpc.ModelConfigRequest;
import dev.strata.protocol.grpc.ServerMetadataRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Triton's config.pbtxt and model configuration extension over real HTTP and gRPC: a model
 * configured by config.pbtxt serves right, and {@code GET /v2/models/{m}/config} (gRPC {@code
 * ModelConfig}) shows what each model runs with, whether from config.pbtxt, config.json or derived.
 */
class ModelConfigIT {
  /** {@code x[N, 3] -> y = 2x + 1}, configured by config.pbtxt. */
  static final String AFFINE = "affine";

  /** The MLP without any config file: everything derived. */
  static final String DERIVED = "derived";

  @TempDir static Path dir;
  static TestServer server;
  static HttpClient http = HttpClient.newHttpClient();
  static ManagedChannel channel;
  static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub grpc;

  @BeforeAll
  static void start() {
    TestServer.writeModel(dir, AFFINE, 1, affine());
    TestServer.writeFile(
        dir.resolve(AFFINE).resolve("config.pbtxt"),
        """
        name: "affine"
        platform: "onnxruntime_onnx"
        max_batch_size: 4
        input [ { name: "x" data_type: TYPE_FP32 dims: [ 3 ] } ]
        output [ { name: "y" data_type: TYPE_FP32 dims: [ 3 ] } ]
        instance_group [ { count: 2 kind: KIND_CPU } ]
        dynamic_batching { max_queue_delay_microseconds: 200 }
        """);
    TestServer.writeModel(dir, DERIVED, 1, ExampleModels.mlp(4, 8, 3, 2));
    server = TestServer.start(dir);
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.server.grpcPort().orElseThrow())
            .usePlaintext()
            .build();
    grpc =
        GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
  }

  static ModelProto affine() {
    OnnxGraphBuilder g = OnnxGraphBuilder.create("affine");
    String x = g.input("x", DataType.FP32, Shape.of(-1, 3));
    String two = g.initializer("two", Shape.of(1), new float[] {2f});
    String one = g.initializer("one", Shape.of(1), new float[] {1f});
    String y = g.node("Add", List.of(g.node("Mul", x, two), one), Map.of(), "y");
    g.output(y, DataType.FP32, Shape.of(-1, 3));
    return g.build();
  }

  @Test
  void aModelConfiguredByConfigPbtxtAnswersRightOverRestAndGrpc() {
    Tensor x = Tensor.ofFloats("x", Shape.of(2, 3), 0f, 1f, 2f, -1f, 0.5f, 10f);
    for (StrataClient c : List.of(server.rest(), server.grpc())) {
      try (c) {
        for (InferOptions o : List.of(InferOptions.JSON, InferOptions.BINARY)) {
          assertThat(
                  c.infer(InferenceRequest.of(AFFINE, List.of(x)), o)
                      .output("y")
                      .orElseThrow()
                      .floats())
              .containsExactly(1f, 3f, 5f, -1f, 2f, 21f);
        }
      }
    }
  }

  @Test
  void restConfigIsTritonsJsonForAPbtxtModel() throws Exception {
    HttpResponse<String> r = get("/v2/models/affine/config");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
    JsonNode json = new ObjectMapper().readTree(r.body());
    assertThat(json.get("name").asText()).isEqualTo(AFFINE);
    assertThat(json.get("platform").asText()).isEqualTo("onnxruntime_onnx");
    assertThat(json.get("max_batch_size").asInt()).isEqualTo(4);
    JsonNode input = json.get("input").get(0);
    assertThat(input.get("name").asText()).isEqualTo("x");
    assertThat(input.get("data_type").asText()).isEqualTo("TYPE_FP32");
    assertThat(input.get("dims").toString()).isEqualTo("[3]"); // numbers, no batch dimension
    assertThat(json.get("instance_group").get(0).get("count").asInt()).isEqualTo(2);
    assertThat(json.get("instance_group").get(0).get("kind").asText()).isEqualTo("KIND_CPU");
    assertThat(json.get("dynamic_batching").get("max_queue_delay_microseconds").asLong())
        .isEqualTo(200);

    assertThat(get("/v2/models/affine/versions/1/config").body()).isEqualTo(r.body());
  }

  @Test
  void configShowsTheConfigJsonAndTheDerivedValuesOverRestAndGrpc() {
    for (StrataClient c : List.of(server.rest(), server.grpc())) {
      try (c) {
        Triton.ModelConfig mlp = c.modelConfig(TestServer.MLP, Optional.empty());
        assertThat(mlp.getMaxBatchSize()).isEqualTo(4); // config.json
        assertThat(mlp.getInput(0).getDimsList()).containsExactly(4L);

        Triton.ModelConfig derived = c.modelConfig(DERIVED, Optional.of("1"));
        assertThat(derived.getMaxBatchSize())
            .isEqualTo(
                server
                    .runtime
                    .modelMetadata(DERIVED, Optional.empty())
                    .parameters()
                    .get("max_batch_size"));
        assertThat(derived.getMaxBatchSize()).isPositive();
        assertThat(derived.getInput(0).getDimsList()).containsExactly(4L);
        assertThat(derived.getOutput(0).getDimsList()).containsExactly(3L);
        assertThat(derived.getInstanceGroup(0).getCount()).isEqualTo(1);
        assertThat(derived.getDynamicBatching().getDefaultQueuePolicy().getMaxQueueSize())
            .isEqualTo(1024);
      }
    }
  }

  @Test
  void grpcModelConfigWithTheStockStubEqualsRest() {
    Triton.ModelConfig viaGrpc =
        grpc.modelConfig(ModelConfigRequest.newBuilder().setName(AFFINE).build()).getConfig();
    try (StrataClient rest = server.rest()) {
      assertThat(viaGrpc).isEqualTo(rest.modelConfig(AFFINE, Optional.empty()));
    }
    assertThat(viaGrpc.getOutput(0).getName()).isEqualTo("y");
  }

  @Test
  void anUnknownModelOrVersionIsNotFound() throws Exception {
    HttpResponse<String> r = get("/v2/models/nope/config");
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.body()).contains("nope");
    assertThat(get("/v2/models/affine/versions/7/config").statusCode()).isEqualTo(404);
    assertThatThrownBy(
            () -> grpc.modelConfig(ModelConfigRequest.newBuilder().setName("nope").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    try (StrataClient c = server.rest()) {
      assertThatThrownBy(() -> c.modelConfig("nope", Optional.empty()))
          .isInstanceOfSatisfying(
              StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
    }
  }

  @Test
  void serverMetadataAdvertisesTheExtension() {
    assertThat(grpc.serverMetadata(ServerMetadataRequest.getDefaultInstance()).getExtensionsList())
        .contains("model_configuration");
    try (StrataClient c = server.rest()) {
      assertThat(c.serverMetadata().extensions()).contains("model_configuration");
    }
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(server.http(path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
