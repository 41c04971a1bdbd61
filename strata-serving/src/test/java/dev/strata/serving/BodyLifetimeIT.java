package dev.strata.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.DataType;
import dev.strata.core.ErrorCode;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.ModelStatistics;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import dev.strata.onnx.OnnxGraphBuilder;
import dev.strata.protocol.client.ClientConfig;
import dev.strata.protocol.client.StrataClient;
import dev.strata.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.strata.protocol.grpc.GrpcConverters;
import dev.strata.protocol.grpc.ModelInferRequest;
import dev.strata.protocol.rest.EncodedBody;
import dev.strata.protocol.rest.RestCodec;
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
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.util.ResourceLeakDetector;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Request bodies stay in pooled network buffers until the runtime has read them (REST binary
 * tensors and gRPC raw contents alike), so every way a request can end must hand them back exactly
 * once: answered, refused, malformed, cancelled while queued or while running. Netty's leak
 * detector runs at PARANOID and must find nothing; it is first shown to find a buffer leaked on
 * purpose, so that its silence means something. Concurrent answers must each be their own input,
 * which a buffer handed back too early would break.
 */
class BodyLifetimeIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final int WIDE = 20_000; // 80 kB per row: a body of many network buffers
  private static final List<String> LEAKS = new CopyOnWriteArrayList<>();
  private static ResourceLeakDetector.Level previousLevel;

  @TempDir Path dir;
  private ModelManager runtime;
  private StrataServer server;
  private ManagedChannel channel;

  @BeforeAll
  static void paranoidLeakDetection() {
    previousLevel = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    ByteBufUtil.setLeakListener((type, records) -> LEAKS.add(type + ": " + records));
    leakOnPurpose();
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              provokeLeakReports();
              return !LEAKS.isEmpty();
            });
    LEAKS.clear();
  }

  private static void leakOnPurpose() {
    ByteBuf leaked = ByteBufAllocator.DEFAULT.directBuffer(64);
    leaked.writeLong(42);
    // and dropped without release()
  }

  @AfterAll
  static void restoreLeakDetection() {
    ByteBufUtil.setLeakListener(null);
    ResourceLeakDetector.setLevel(previousLevel);
  }

  /**
   * "good" passes at once, "later" after a hop; "refused-later" fails after a hop, else at once.
   */
  private static CompletionStage<Void> authorize(AuthRequest request) {
    return switch (request.bearerToken().orElse("")) {
      case "good" -> CompletableFuture.completedFuture(null);
      case "later" ->
          CompletableFuture.runAsync(
              () -> {}, CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS));
      case "refused-later" ->
          CompletableFuture.supplyAsync(
              () -> {
                throw new StrataException(ErrorCode.UNAUTHENTICATED, "invalid credentials");
              },
              CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS));
      default ->
          CompletableFuture.failedFuture(
              new StrataException(ErrorCode.UNAUTHENTICATED, "missing credentials"));
    };
  }

  @BeforeEach
  void start() {
    TestServer.writeModel(dir, "id", 1, identity());
    TestServer.writeFile(
        dir.resolve("id/config.json"),
        "{\"max_batch_size\": 8, \"dynamic_batching\": {\"max_queue_delay_us\": 20000}}");
    TestServer.writeModel(dir, "held", 1, identity());
    TestServer.writeFile(
        dir.resolve("held/config.json"),
        "{\"max_batch_size\": 8, \"dynamic_batching\": {\"max_queue_delay_us\": 30000000}}");
    TestServer.writeModel(dir, "slow", 1, slowModel());
    runtime =
        ModelManager.create(
            RuntimeConfig.builder(dir)
                .defaultIntraOpThreads(1)
                .drainTimeout(Duration.ofSeconds(10))
                .build());
    server =
        StrataServer.builder(
                ServingConfig.ephemeral().withIoThreads(2).withMaxRequestBytes(8 << 20),
                runtime,
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
            .inferenceAuthorizer(BodyLifetimeIT::authorize)
            .start();
    runtime.startup().join();
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort().orElseThrow())
            .usePlaintext()
            .maxInboundMessageSize(8 << 20)
            .build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.close();
  }

  @Test
  void concurrentAnswersAreEachTheirOwnInputAndNothingLeaks() throws Exception {
    List<InferenceRequest> requests = new ArrayList<>();
    Random random = new Random(7);
    for (int i = 0; i < 48; i++) {
      float[] row = new float[WIDE];
      for (int j = 0; j < row.length; j++) {
        row[j] = random.nextFloat();
      }
      requests.add(
          InferenceRequest.of("id", List.of(Tensor.ofFloats("x", Shape.of(1, WIDE), row))));
    }
    try (StrataClient rest = client(false);
        StrataClient grpc = client(true)) {
      List<CompletableFuture<InferenceResponse>> answers = new ArrayList<>();
      for (int i = 0; i < requests.size(); i++) {
        answers.add((i % 2 == 0 ? rest : grpc).inferAsync(requests.get(i)));
      }
      for (int i = 0; i < requests.size(); i++) {
        Tensor out = answers.get(i).get(60, TimeUnit.SECONDS).outputs().getFirst();
        assertThat(out.data()).isEqualTo(requests.get(i).inputs().getFirst().data());
      }
    }
    assertThat(runtime.statistics(Optional.of("id"), Optional.empty()).getFirst().executionCount())
        .isLessThan(requests.size()); // some requests shared a batch: copied from their buffers
    assertNoLeaks();
  }

  @Test
  void requestsThatFailHandTheirBodiesBack() throws Exception {
    EncodedBody body = binaryBody("id", WIDE);
    byte[] bytes = body.toByteArray();
    int json = body.inferenceHeaderContentLength().getAsInt();
    // REST: a binary size past the body's end, an unknown model, a refused token
    assertThat(post("/v2/models/id/infer", Arrays.copyOf(bytes, bytes.length - 8), json, "good"))
        .startsWith("HTTP/1.1 400");
    assertThat(post("/v2/models/nope/infer", bytes, json, "good")).startsWith("HTTP/1.1 404");
    assertThat(post("/v2/models/id/infer", bytes, json, "refused-later"))
        .startsWith("HTTP/1.1 401");
    // gRPC: a shape the data does not fill, refused at once and after a hop
    ModelInferRequest good = GrpcConverters.modelInferRequest(inference("id", WIDE), true);
    ModelInferRequest wrongShape =
        good.toBuilder().setInputs(0, good.getInputs(0).toBuilder().setShape(1, WIDE + 1)).build();
    assertThatThrownBy(() -> stub("good").modelInfer(wrongShape))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    for (String token : List.of("", "refused-later")) {
      assertThatThrownBy(() -> stub(token).modelInfer(good))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    }
    // and one held for a late yes still runs
    assertThat(stub("later").modelInfer(good).getRawOutputContents(0).size()).isEqualTo(4 * WIDE);
    assertNoLeaks();
  }

  @Test
  void cancelledRequestsHandTheirBodiesBackWhetherQueuedOrRunning() throws Exception {
    // REST: the client goes away while its request waits in the queue
    EncodedBody held = binaryBody("held", WIDE);
    try (Socket s = send("/v2/models/held/infer", held)) {
      Awaitility.await().atMost(WAIT).until(() -> server.inFlightHttpRequests() == 1);
    }
    // REST: and while its request runs (the slow model takes at least 0.2 s)
    EncodedBody slow = binaryBody("slow", 64 * 1024, Shape.of(64, 1024));
    try (Socket s = send("/v2/models/slow/infer", slow)) {
      Awaitility.await().atMost(WAIT).until(() -> server.inFlightHttpRequests() == 1);
    }
    Awaitility.await().atMost(WAIT).until(() -> server.inFlightHttpRequests() == 0);
    // gRPC: deadlines that pass while queued, and before the slow model can answer (the call may
    // end before it reaches the runtime, while it waits behind the one above, or while it runs)
    ModelInferRequest queued = GrpcConverters.modelInferRequest(inference("held", WIDE), true);
    assertThatThrownBy(() -> stub("good").withDeadlineAfter(2, TimeUnit.SECONDS).modelInfer(queued))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    ModelInferRequest running =
        GrpcConverters.modelInferRequest(
            InferenceRequest.of(
                "slow", List.of(Tensor.ofFloats("x", Shape.of(64, 1024), new float[64 * 1024]))),
            true);
    assertThatThrownBy(
            () -> stub("good").withDeadlineAfter(100, TimeUnit.MILLISECONDS).modelInfer(running))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));

    // Quiet: the held model's queue is empty (both cancelled), the slow model has finished what
    // it ran for nobody (a last request waits behind it on its one instance).
    Awaitility.await()
        .atMost(WAIT)
        .untilAsserted(
            () -> assertThat(stats("held").inferenceStats().fail().count()).isEqualTo(2));
    try (StrataClient rest = client(false)) {
      rest.infer(
          InferenceRequest.of(
              "slow", List.of(Tensor.ofFloats("x", Shape.of(64, 1024), new float[64 * 1024]))));
    }
    assertThat(stats("held").inferenceCount()).isZero();
    assertNoLeaks();
  }

  private ModelStatistics stats(String model) {
    return runtime.statistics(Optional.of(model), Optional.empty()).getFirst();
  }

  /** Collects what the detector can find and fails on any leak it reports. */
  private static void assertNoLeaks() {
    for (int i = 0; i < 10; i++) {
      provokeLeakReports();
    }
    assertThat(LEAKS).as("buffers leaked (Netty's leak detector, PARANOID)").isEmpty();
  }

  /** Leaked buffers are found once collected, and reported at the next allocation. */
  private static void provokeLeakReports() {
    System.gc();
    for (int k = 0; k < 50; k++) {
      ByteBufAllocator.DEFAULT.directBuffer(8).release();
      ByteBufAllocator.DEFAULT.heapBuffer(8).release();
    }
  }

  private StrataClient client(boolean grpc) {
    ClientConfig config =
        ClientConfig.of("127.0.0.1", grpc ? server.grpcPort().orElseThrow() : server.httpPort())
            .withMaxMessageBytes(8 << 20)
            .withHeader("Authorization", "Bearer good");
    return grpc ? StrataClient.grpc(config) : StrataClient.rest(config);
  }

  private GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub(String token) {
    Metadata headers = new Metadata();
    if (!token.isEmpty()) {
      headers.put(
          Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    }
    return GRPCInferenceServiceGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  private static InferenceRequest inference(String model, int width) {
    float[] row = new float[width];
    Arrays.fill(row, 0.25f);
    return InferenceRequest.of(model, List.of(Tensor.ofFloats("x", Shape.of(1, width), row)));
  }

  private static EncodedBody binaryBody(String model, int width) {
    return new RestCodec().encodeInferRequest(inference(model, width), true, true);
  }

  private static EncodedBody binaryBody(String model, int elements, Shape shape) {
    float[] values = new float[elements];
    return new RestCodec()
        .encodeInferRequest(
            InferenceRequest.of(model, List.of(Tensor.ofFloats("x", shape, values))), true, true);
  }

  /** Sends a binary inference request on a new connection and leaves it open. */
  private Socket send(String path, EncodedBody body) throws Exception {
    Socket s = new Socket("127.0.0.1", server.httpPort());
    OutputStream out = s.getOutputStream();
    out.write(
        head(
            path,
            body.toByteArray().length,
            body.inferenceHeaderContentLength().getAsInt(),
            "good"));
    out.write(body.toByteArray());
    out.flush();
    return s;
  }

  /** Sends a request and returns the response's status line and headers. */
  private String post(String path, byte[] body, int jsonLength, String token) throws Exception {
    try (Socket s = new Socket("127.0.0.1", server.httpPort())) {
      OutputStream out = s.getOutputStream();
      out.write(head(path, body.length, jsonLength, token));
      out.write(body);
      out.flush();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[4096];
      int n = in.read(buf);
      return new String(buf, 0, Math.max(n, 0), StandardCharsets.ISO_8859_1);
    }
  }

  private static byte[] head(String path, int length, int jsonLength, String token) {
    return ("POST "
            + path
            + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            + "Authorization: Bearer "
            + token
            + "\r\nInference-Header-Content-Length: "
            + jsonLength
            + "\r\nContent-Length: "
            + length
            + "\r\nConnection: close\r\n\r\n")
        .getBytes(StandardCharsets.ISO_8859_1);
  }

  /** {@code y = x}, batching on the first dimension. */
  private static ai.onnx.proto.OnnxMl.ModelProto identity() {
    OnnxGraphBuilder g = OnnxGraphBuilder.create("id");
    String x = g.input("x", DataType.FP32, Shape.of(-1, -1));
    g.output(g.node("Identity", List.of(x), Map.of(), "y"), DataType.FP32, Shape.of(-1, -1));
    return g.build();
  }

  /**
   * {@code y = x W ... W}: 600 products of 64×1024 by 1024×1024 (81 GFLOP: at least 0.2 s even at
   * the peak of two AVX-512 cores, a few seconds on slower machines).
   */
  private static ai.onnx.proto.OnnxMl.ModelProto slowModel() {
    OnnxGraphBuilder g = OnnxGraphBuilder.create("slow");
    String x = g.input("x", DataType.FP32, Shape.of(64, 1024));
    float[] w = new float[1024 * 1024];
    Arrays.fill(w, 1f / 1024);
    String weights = g.initializer("w", Shape.of(1024, 1024), w);
    String at = x;
    for (int i = 0; i < 600; i++) {
      at = g.node("MatMul", at, weights);
    }
    g.output(g.node("Identity", List.of(at), Map.of(), "y"), DataType.FP32, Shape.of(64, 1024));
    return g.build();
  }
}
