package dev.strata.serving;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import dev.strata.core.DataType;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.OutputRequest;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.core.testing.Tensors;
import dev.strata.onnx.ExampleModels;
import dev.strata.protocol.client.InferOptions;
import dev.strata.protocol.client.StrataClient;
import dev.strata.runtime.OrtSessions;
import dev.strata.runtime.SessionSettings;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Open Inference Protocol over real HTTP and gRPC: every datatype through every transport,
 * model outputs equal to in-process ONNX Runtime, and the metadata, health, statistics, repository
 * and metrics endpoints.
 */
class ProtocolConformanceIT {
  @TempDir static Path dir;
  static TestServer server;
  static HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    server = TestServer.start(dir);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static List<StrataClient> clients() {
    return List.of(server.rest(), server.rest(), server.grpc());
  }

  private static List<InferOptions> options() {
    return List.of(InferOptions.JSON, InferOptions.BINARY, InferOptions.BINARY);
  }

  @Test
  void everyDatatypeRoundTripsUnchangedOverJsonBinaryAndGrpc() {
    Random rnd = new Random(5);
    List<Tensor> inputs = new ArrayList<>();
    for (DataType t : ExampleModels.ortTypes()) {
      inputs.add(Tensors.random("in_" + t.name(), t, Shape.of(2, 3), rnd));
    }
    List<StrataClient> clients = clients();
    for (int i = 0; i < clients.size(); i++) {
      try (StrataClient c = clients.get(i)) {
        InferenceResponse r =
            c.infer(InferenceRequest.of(TestServer.IDENTITY, inputs), options().get(i));
        assertThat(r.outputs()).hasSize(inputs.size());
        for (Tensor in : inputs) {
          Tensor out = r.output(in.name().replace("in_", "out_")).orElseThrow();
          assertThat(out.datatype()).as(in.name()).isEqualTo(in.datatype());
          assertThat(out.shape()).as(in.name()).isEqualTo(in.shape());
          assertThat(out.data()).as(in.name() + " via " + options().get(i)).isEqualTo(in.data());
        }
      }
    }
  }

  @Test
  void cnnOutputsEqualInProcessOnnxRuntime() throws Exception {
    Tensor image = Tensors.image(ExampleModels.INPUT, 3, new Random(9));
    float[][] expected;
    Path model = dir.resolve(TestServer.CNN).resolve("1").resolve("model.onnx");
    try (OrtSession session = OrtSessions.open(model, SessionSettings.of(1));
        OnnxTensor in =
            OnnxTensor.createTensor(
                OrtSessions.environment(),
                FloatBuffer.wrap(image.floats()),
                image.shape().toArray());
        OrtSession.Result result = session.run(Map.of(ExampleModels.INPUT, in))) {
      expected = (float[][]) result.get(0).getValue();
    }
    List<StrataClient> clients = clients();
    for (int i = 0; i < clients.size(); i++) {
      try (StrataClient c = clients.get(i)) {
        Tensor out =
            c.infer(InferenceRequest.of(TestServer.CNN, List.of(image)), options().get(i))
                .output(ExampleModels.OUTPUT)
                .orElseThrow();
        assertThat(out.shape()).isEqualTo(Shape.of(3, 10));
        float[] got = out.floats();
        for (int row = 0; row < 3; row++) {
          for (int k = 0; k < 10; k++) {
            assertThat(got[row * 10 + k]).isEqualTo(expected[row][k]);
          }
        }
      }
    }
  }

  @Test
  void classificationExtensionReturnsTopKWithLabels() {
    Tensor image = Tensors.image(ExampleModels.INPUT, 1, new Random(3));
    try (StrataClient c = server.rest()) {
      float[] probs =
          c.infer(InferenceRequest.of(TestServer.CNN, List.of(image)))
              .output(ExampleModels.OUTPUT)
              .orElseThrow()
              .floats();
      InferenceRequest topK =
          new InferenceRequest(
              TestServer.CNN,
              Optional.empty(),
              "req-1",
              List.of(image),
              List.of(new OutputRequest(ExampleModels.OUTPUT, 3, Map.of())),
              Map.of(),
              Optional.empty());
      InferenceResponse r = c.infer(topK, InferOptions.JSON);
      assertThat(r.id()).isEqualTo("req-1");
      List<String> classes = r.output(ExampleModels.OUTPUT).orElseThrow().strings();
      assertThat(classes).hasSize(3);
      int best = 0;
      for (int k = 1; k < probs.length; k++) {
        best = probs[k] > probs[best] ? k : best;
      }
      String[] first = classes.getFirst().split(":");
      assertThat(Integer.parseInt(first[1])).isEqualTo(best);
      assertThat(first[2]).isEqualTo(TestServer.labels()[best]);
      assertThat(Double.parseDouble(first[0]))
          .isCloseTo(probs[best], org.assertj.core.api.Assertions.within(1e-6));
    }
  }

  @Test
  void healthAndMetadataEndpoints() throws Exception {
    assertThat(get("/v2/health/live")).isEqualTo("200 {\"live\":true}");
    assertThat(get("/v2/health/ready")).isEqualTo("200 {\"ready\":true}");
    assertThat(get("/v2"))
        .startsWith("200 ")
        .contains(
            "\"binary_tensor_data\"",
            "\"classification\"",
            "\"statistics\"",
            "\"model_repository\"");
    assertThat(get("/v2/models/cnn"))
        .contains("\"name\":\"cnn\"", "\"versions\":[\"1\"]", "\"platform\":\"onnxruntime_onnx\"")
        .contains("{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[-1,1,28,28]}");
    assertThat(get("/v2/models/cnn/versions/1")).startsWith("200 ");
    assertThat(get("/v2/models/cnn/ready")).startsWith("200 ");
    assertThat(get("/v2/models/cnn/versions/1/ready")).startsWith("200 ");
    assertThat(get("/v2/models/nope/ready")).startsWith("404 ");
    assertThat(get("/v2/models/cnn/versions/7")).startsWith("404 ").contains("\"error\"");
    try (StrataClient g = server.grpc()) {
      assertThat(g.live()).isTrue();
      assertThat(g.ready()).isTrue();
      assertThat(g.modelReady(TestServer.CNN, Optional.empty())).isTrue();
      assertThat(g.serverMetadata().extensions()).contains("binary_tensor_data");
      assertThat(g.modelMetadata(TestServer.MLP, Optional.of("1")).inputs().getFirst().shape())
          .isEqualTo(Shape.of(-1, 4));
    }
  }

  @Test
  void repositoryIndexAndStatistics() throws Exception {
    try (StrataClient c = server.rest()) {
      for (int i = 0; i < 5; i++) {
        c.infer(
            InferenceRequest.of(
                TestServer.MLP, List.of(Tensor.ofFloats("input", Shape.of(2, 4), new float[8]))));
      }
      assertThat(c.repositoryIndex())
          .extracting(e -> e.name() + "/" + e.version() + "/" + e.state())
          .contains("cnn/1/READY", "mlp/1/READY", "identity/1/READY");
      var stats = c.statistics(Optional.of(TestServer.MLP), Optional.empty()).getFirst();
      assertThat(stats.inferenceCount()).isGreaterThanOrEqualTo(10);
      assertThat(stats.inferenceStats().success().count()).isGreaterThanOrEqualTo(5);
      assertThat(stats.batchStats()).isNotEmpty();
    }
    assertThat(get("/v2/models/stats")).contains("\"model_stats\"", "\"name\":\"mlp\"");
    assertThat(get("/v2/models/mlp/versions/1/stats")).contains("\"inference_count\"");
    try (StrataClient g = server.grpc()) {
      assertThat(
              g.statistics(Optional.of(TestServer.MLP), Optional.of("1"))
                  .getFirst()
                  .executionCount())
          .isPositive();
    }
  }

  @Test
  void metricsAreHistogramsTaggedByModelAndVersion() throws Exception {
    try (StrataClient c = server.rest()) {
      c.infer(
          InferenceRequest.of(
              TestServer.MLP, List.of(Tensor.ofFloats("input", Shape.of(1, 4), new float[4]))));
    }
    String metrics = get("/metrics");
    assertThat(metrics).startsWith("200 ");
    for (String histogram :
        List.of(
            "strata_inference_request_duration_seconds_bucket",
            "strata_inference_queue_duration_seconds_bucket",
            "strata_inference_compute_duration_seconds_bucket",
            "strata_inference_batch_size_bucket")) {
      assertThat(metrics)
          .contains(histogram + "{")
          .containsPattern(histogram + "\\{[^}]*model=\"mlp\"[^}]*version=\"1\"");
    }
    assertThat(metrics)
        .contains("strata_inference_request_success_total{")
        .contains("strata_inference_queue_pending{");
  }

  private static String get(String path) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(server.http(path)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    return r.statusCode() + " " + r.body();
  }
}
