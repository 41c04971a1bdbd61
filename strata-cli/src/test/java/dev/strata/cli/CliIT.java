package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.core.DataType;
import dev.strata.core.Shape;
import dev.strata.onnx.ExampleModels;
import dev.strata.onnx.OnnxGraphBuilder;
import dev.strata.onnx.OnnxModels;
import dev.strata.runtime.ModelManager;
import dev.strata.runtime.RuntimeConfig;
import dev.strata.serving.ServingConfig;
import dev.strata.serving.StrataServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code strata infer} and {@code strata models} against a real server on loopback. */
class CliIT {
  @TempDir static Path dir;
  static StrataServer server;
  static String http;
  static String grpc;

  @BeforeAll
  static void start() throws Exception {
    Path repo = dir.resolve("models");
    OnnxModels.write(ExampleModels.mlp(4, 8, 3, 1), repo.resolve("mlp/1/model.onnx"));
    Files.writeString(repo.resolve("mlp/labels.txt"), "cat\ndog\nbird\n");
    Files.writeString(repo.resolve("mlp/config.json"), "{\"labels\": \"labels.txt\"}");
    OnnxGraphBuilder softmax = OnnxGraphBuilder.create("softmax_vector");
    String x = softmax.input("x", DataType.FP32, Shape.of(-1));
    softmax.output(
        softmax.node("Softmax", List.of(x), Map.of("axis", 0L), "y"), DataType.FP32, Shape.of(-1));
    OnnxModels.write(softmax.build(), repo.resolve("softmax/1/model.onnx"));
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ModelManager runtime =
        ModelManager.create(RuntimeConfig.builder(repo).meterRegistry(registry).build());
    server = StrataServer.start(ServingConfig.ephemeral(), runtime, registry);
    runtime.startup().join();
    http = "http://127.0.0.1:" + server.httpPort();
    grpc = "grpc://127.0.0.1:" + server.grpcPort().orElseThrow();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void infersFromAJsonRequestOverRestAndGrpc() throws Exception {
    Path body = dir.resolve("request.json");
    Files.writeString(
        body,
        "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}");
    for (String url : new String[] {http, grpc}) {
      StrataCliTest.Run r =
          StrataCliTest.run("infer", "--url", url, "--model", "mlp", "--input", body.toString());
      assertThat(r.exit()).as(r.err()).isZero();
      assertThat(r.out()).contains("model mlp version 1").contains("probabilities FP32[1, 3]");
    }
  }

  @Test
  void infersFromANpyArrayAndPrintsTopKLabels() throws Exception {
    ByteBuffer d = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    d.putFloat(1).putFloat(2).putFloat(3).putFloat(4);
    Path npy = dir.resolve("x.npy");
    Files.write(npy, NpyReaderTest.npy("<f4", "(4,)", d.array()));
    for (String url : new String[] {http, grpc}) {
      StrataCliTest.Run r =
          StrataCliTest.run(
              "infer", "--url", url, "--model", "mlp", "--input", npy.toString(), "--top-k", "2");
      assertThat(r.exit()).as(r.err()).isZero();
      assertThat(r.out())
          .contains("probabilities BYTES[1, 2]")
          .containsPattern("0\\.\\d{6}:\\d:(cat|dog|bird)");
    }
  }

  @Test
  void listsModelsWithSignatures() {
    StrataCliTest.Run r = StrataCliTest.run("models", "--url", http);
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("mlp")
        .contains("READY")
        .contains("input:FP32[-1, 4] -> probabilities:FP32[-1, 3]")
        .contains("x:FP32[-1] -> y:FP32[-1] (batching off: output 'y' differs");
  }

  @Test
  void serverErrorsAreOneClearLine() {
    StrataCliTest.Run r =
        StrataCliTest.run(
            "infer", "--url", http, "--model", "nope", "--input", dir.resolve("x.npy").toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("strata: ").contains("nope").contains("NOT_FOUND");
    StrataCliTest.Run down = StrataCliTest.run("models", "--url", "http://127.0.0.1:1");
    assertThat(down.exit()).isEqualTo(1);
    assertThat(down.err()).startsWith("strata: ");
  }

  @Test
  void startupTrainingServesAndAnswersEveryTransportThenExits() {
    StrataCliTest.Run r = StrataCliTest.run("startup-training");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(StrataCliTest.run("--help").out()).doesNotContain("startup-training");
  }
}
