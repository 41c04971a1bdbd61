package dev.strata.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.onnx.ExampleModels;
import dev.strata.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.strata.protocol.grpc.RepositoryIndexRequest;
import dev.strata.protocol.grpc.RepositoryModelLoadRequest;
import dev.strata.protocol.grpc.RepositoryModelUnloadRequest;
import dev.strata.runtime.ModelManager;
import dev.strata.runtime.RuntimeConfig;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link StrataServer.Builder#repositoryControl(boolean)}: off, load and unload are refused over
 * REST (403) and gRPC (PERMISSION_DENIED) and the model keeps serving; on, they reach the model
 * control.
 */
class RepositoryControlIT {
  private static final String INFER =
      "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}";

  @TempDir Path dir;
  private StrataServer server;
  private ManagedChannel channel;
  private final HttpClient http = HttpClient.newHttpClient();

  private void start(java.util.function.UnaryOperator<StrataServer.Builder> settings) {
    TestServer.writeModel(dir, "mlp", 1, ExampleModels.mlp(4, 8, 3, 1));
    ModelManager runtime = ModelManager.create(RuntimeConfig.of(dir));
    server =
        settings
            .apply(
                StrataServer.builder(
                    ServingConfig.ephemeral().withIoThreads(1),
                    runtime,
                    new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)))
            .start();
    runtime.startup().join();
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort().orElseThrow())
            .usePlaintext()
            .build();
  }

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (server != null) {
      server.close();
    }
  }

  private HttpResponse<String> post(String path, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub grpc() {
    return GRPCInferenceServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  @Test
  void offRefusesLoadAndUnloadAndTheModelKeepsServing() throws Exception {
    start(b -> b.repositoryControlOff("control is off here: start with --allow-it"));

    for (String action : List.of("load", "unload")) {
      HttpResponse<String> r = post("/v2/repository/models/mlp/" + action, "");
      assertThat(r.statusCode()).as(action).isEqualTo(403);
      assertThat(r.body()).contains("control is off here: start with --allow-it");
    }
    assertThatThrownBy(
            () ->
                grpc()
                    .repositoryModelLoad(
                        RepositoryModelLoadRequest.newBuilder().setModelName("mlp").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
              assertThat(e.getStatus().getDescription()).contains("--allow-it");
            });
    assertThatThrownBy(
            () ->
                grpc()
                    .repositoryModelUnload(
                        RepositoryModelUnloadRequest.newBuilder().setModelName("mlp").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));

    assertThat(post("/v2/models/mlp/infer", INFER).statusCode()).isEqualTo(200);
    HttpResponse<String> index = post("/v2/repository/index", "");
    assertThat(index.statusCode()).isEqualTo(200);
    assertThat(index.body()).contains("\"mlp\"").contains("READY");
    assertThat(grpc().repositoryIndex(RepositoryIndexRequest.getDefaultInstance()).getModelsCount())
        .isEqualTo(1);
  }

  @Test
  void offWithoutAMessageSaysControlIsOff() throws Exception {
    start(b -> b.repositoryControl(false));

    HttpResponse<String> r = post("/v2/repository/models/mlp/unload", "");
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body())
        .contains("model control is off on this server")
        .contains("PERMISSION_DENIED");
    assertThat(post("/v2/models/mlp/infer", INFER).statusCode()).isEqualTo(200);
  }

  @Test
  void onSendsLoadAndUnloadToTheModelControl() throws Exception {
    List<String> calls = new CopyOnWriteArrayList<>();
    start(
        b ->
            b.repositoryControl(true)
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
                    }));

    assertThat(post("/v2/repository/models/mlp/load", "").statusCode()).isEqualTo(200);
    grpc()
        .repositoryModelUnload(
            RepositoryModelUnloadRequest.newBuilder().setModelName("mlp").build());

    assertThat(calls).containsExactly("load mlp", "unload mlp");
    // the hook did not unload it, so it still serves
    assertThat(post("/v2/models/mlp/infer", INFER).statusCode()).isEqualTo(200);
  }

  @Test
  void byDefaultLoadAndUnloadReachTheRuntime() throws Exception {
    start(b -> b);

    assertThat(post("/v2/repository/models/mlp/unload", "").statusCode()).isEqualTo(200);
    assertThat(post("/v2/models/mlp/infer", INFER).statusCode()).isNotEqualTo(200);
    grpc().repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName("mlp").build());
    assertThat(post("/v2/models/mlp/infer", INFER).statusCode()).isEqualTo(200);
  }
}
