package dev.strata.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.onnx.ExampleModels;
import dev.strata.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.strata.protocol.grpc.ModelMetadataRequest;
import dev.strata.protocol.grpc.ServerLiveRequest;
import dev.strata.runtime.ModelManager;
import dev.strata.runtime.RuntimeConfig;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An inference authorizer guards every OIP endpoint over REST and gRPC but the health checks; a
 * decision that completes later (as a database lookup would) holds the gRPC call without failing
 * it.
 */
class InferenceAuthIT {
  private static final String INFER =
      "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}";

  @TempDir Path dir;
  private StrataServer server;
  private ManagedChannel channel;
  private final HttpClient http = HttpClient.newHttpClient();

  /** "good" passes at once, "later" passes after a hop, "viewer" is forbidden, else refused. */
  private static CompletionStage<Void> authorize(AuthRequest request) {
    String token = request.bearerToken().orElse("");
    return switch (token) {
      case "good" -> CompletableFuture.completedFuture(null);
      case "later" ->
          CompletableFuture.runAsync(
              () -> {}, CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS));
      case "viewer" ->
          CompletableFuture.failedFuture(
              new StrataException(ErrorCode.PERMISSION_DENIED, "viewer may not do this"));
      case "" ->
          CompletableFuture.failedFuture(
              new StrataException(ErrorCode.UNAUTHENTICATED, "missing credentials"));
      default ->
          CompletableFuture.supplyAsync(
              () -> {
                throw new StrataException(ErrorCode.UNAUTHENTICATED, "invalid credentials");
              },
              CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS));
    };
  }

  @BeforeEach
  void start() {
    TestServer.writeModel(dir, "mlp", 1, ExampleModels.mlp(4, 8, 3, 1));
    ModelManager runtime = ModelManager.create(RuntimeConfig.of(dir));
    server =
        StrataServer.builder(
                ServingConfig.ephemeral().withIoThreads(1),
                runtime,
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
            .inferenceAuthorizer(InferenceAuthIT::authorize)
            .start();
    runtime.startup().join();
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort().orElseThrow())
            .usePlaintext()
            .build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.close();
  }

  private HttpResponse<String> post(String path, String token) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
            .POST(HttpRequest.BodyPublishers.ofString(INFER));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void restInferenceNeedsAnAcceptedToken() throws Exception {
    HttpResponse<String> none = post("/v2/models/mlp/infer", null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"strata\"");
    assertThat(none.body()).contains("missing credentials").contains("UNAUTHENTICATED");

    HttpResponse<String> wrong = post("/v2/models/mlp/infer", "nope");
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.body()).contains("invalid credentials");

    HttpResponse<String> forbidden = post("/v2/models/mlp/infer", "viewer");
    assertThat(forbidden.statusCode()).isEqualTo(403);
    assertThat(forbidden.body()).contains("viewer may not do this");

    assertThat(post("/v2/models/mlp/infer", "good").statusCode()).isEqualTo(200);
    assertThat(post("/v2/models/mlp/infer", "later").statusCode()).isEqualTo(200);
  }

  @Test
  void everyOipRouteButHealthIsGuarded() throws Exception {
    assertThat(get("/v2/health/live").statusCode()).isEqualTo(200);
    assertThat(get("/v2/health/ready").statusCode()).isEqualTo(200);
    for (String path :
        new String[] {"/v2", "/v2/models/mlp", "/v2/models/mlp/ready", "/v2/models/stats"}) {
      assertThat(get(path).statusCode()).as(path).isEqualTo(401);
    }
    assertThat(post("/v2/repository/index", null).statusCode()).isEqualTo(401);
    // /metrics stays open for scrapers (documented); only the protocol is guarded
    assertThat(get("/metrics").statusCode()).isEqualTo(200);
  }

  private GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub(String token) {
    var stub =
        GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    if (token == null) {
      return stub;
    }
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  @Test
  void grpcCallsNeedAnAcceptedTokenEvenWhenTheDecisionComesLater() {
    ModelMetadataRequest request = ModelMetadataRequest.newBuilder().setName("mlp").build();
    assertThat(stub(null).serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
    assertThatThrownBy(() -> stub(null).modelMetadata(request))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
              assertThat(e.getStatus().getDescription()).contains("missing credentials");
            });
    assertThatThrownBy(() -> stub("nope").modelMetadata(request))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    assertThatThrownBy(() -> stub("viewer").modelMetadata(request))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
    assertThat(stub("good").modelMetadata(request).getName()).isEqualTo("mlp");
    for (int i = 0; i < 20; i++) {
      assertThat(stub("later").modelMetadata(request).getName()).isEqualTo("mlp");
    }
  }
}
