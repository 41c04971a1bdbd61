package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.onnx.ExampleModels;
import dev.strata.onnx.OnnxModels;
import dev.strata.runtime.ModelManager;
import dev.strata.runtime.RuntimeConfig;
import dev.strata.serving.ServingConfig;
import dev.strata.serving.StrataServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8 section 4: every mistake a person makes with the command line gets a message that says
 * what to do, over a real server on loopback (REST and gRPC), never a stack trace.
 */
class ActionableErrorsIT {
  @TempDir static Path dir;
  static Path repo;
  static StrataServer server;
  static int httpPort;
  static int grpcPort;
  static String body;

  @BeforeAll
  static void start() throws Exception {
    repo = dir.resolve("models");
    for (String name : new String[] {"alpha", "beta", "gamma"}) {
      OnnxModels.write(ExampleModels.mlp(4, 8, 3, 1), repo.resolve(name + "/1/model.onnx"));
    }
    // the mistake: the model file straight in the model's directory, no version directory
    OnnxModels.write(ExampleModels.mlp(4, 8, 3, 1), repo.resolve("flat/model.onnx"));
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ModelManager runtime =
        ModelManager.create(RuntimeConfig.builder(repo).meterRegistry(registry).build());
    server = StrataServer.start(ServingConfig.ephemeral(), runtime, registry);
    runtime.startup().join();
    httpPort = server.httpPort();
    grpcPort = server.grpcPort().orElseThrow();
    Path request = dir.resolve("request.json");
    Files.writeString(
        request,
        "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}");
    body = request.toString();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static void oneLine(StrataCliTest.Run r) {
    assertThat(r.exit()).as(r.out()).isNotZero();
    assertThat(r.err()).startsWith("strata: ").doesNotContain("\tat ").doesNotContain("Exception");
    assertThat(r.err().strip().lines()).hasSize(1);
  }

  @Test
  void anUnknownModelListsTheModelsThatExist() {
    for (String url :
        new String[] {"http://127.0.0.1:" + httpPort, "grpc://127.0.0.1:" + grpcPort}) {
      StrataCliTest.Run r =
          StrataCliTest.run("infer", "--url", url, "--model", "alhpa", "--input", body);
      oneLine(r);
      assertThat(r.err()).as(url).contains("'alhpa'").contains("models: alpha, beta, flat, gamma");
    }
  }

  @Test
  void aGrpcServerThatIsNotThereCannotBeConnectedTo() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    StrataCliTest.Run r = StrataCliTest.run("models", "--url", "grpc://127.0.0.1:" + closed);
    oneLine(r);
    assertThat(r.err()).contains("cannot connect to 127.0.0.1:" + closed);
  }

  @Test
  void theWrongProtocolForAPortIsNamed() {
    StrataCliTest.Run rest = StrataCliTest.run("models", "--url", "http://127.0.0.1:" + grpcPort);
    oneLine(rest);
    assertThat(rest.err()).contains("127.0.0.1:" + grpcPort).contains("HTTP/2").contains("gRPC");
    StrataCliTest.Run grpc = StrataCliTest.run("models", "--url", "grpc://127.0.0.1:" + httpPort);
    oneLine(grpc);
    assertThat(grpc.err()).contains("127.0.0.1:" + httpPort).contains("HTTP/1.1").contains("REST");
  }

  @Test
  void servingOnAPortInUseNamesThePort() throws Exception {
    StrataCliTest.Run r =
        StrataCliTest.run(
            "serve", "--model-repository", repo.toString(), "--http-port", "" + httpPort);
    oneLine(r);
    assertThat(r.err()).contains("HTTP port " + httpPort + " on 127.0.0.1 is already in use");
    StrataCliTest.Run g =
        StrataCliTest.run(
            "serve",
            "--model-repository",
            repo.toString(),
            "--http-port",
            "0",
            "--grpc-port",
            "" + grpcPort);
    oneLine(g);
    assertThat(g.err()).contains("gRPC port " + grpcPort + " on 127.0.0.1 is already in use");
  }

  @Test
  void aModelFileOutsideAVersionDirectorySaysWhereItGoes() throws Exception {
    String where = repo.resolve("flat/1/model.onnx").toString();
    HttpResponse<String> index =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + httpPort + "/v2/repository/index"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(index.body()).contains("put it in " + where);
    HttpResponse<String> load =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:" + httpPort + "/v2/repository/models/flat/load"))
                    .POST(HttpRequest.BodyPublishers.ofString(""))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(load.statusCode()).isEqualTo(400);
    assertThat(load.body()).contains("not in a version directory").contains("put it in " + where);
    StrataCliTest.Run models = StrataCliTest.run("models", "--url", "http://127.0.0.1:" + httpPort);
    assertThat(models.out()).contains("flat").contains("put it in " + where);
  }

  @Test
  void aMissingFileIsNamed() {
    StrataCliTest.Run r =
        StrataCliTest.run(
            "evaluate", "--model", dir.resolve("missing.onnx").toString(), "--data", body);
    oneLine(r);
    assertThat(r.err()).contains("no such file: " + dir.resolve("missing.onnx"));
  }
}
