package dev.strata.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.strata.core.DataType;
import dev.strata.core.Shape;
import dev.strata.core.testing.LargePng;
import dev.strata.onnx.ExampleModels;
import dev.strata.onnx.OnnxGraphBuilder;
import dev.strata.onnx.OnnxModels;
import dev.strata.preprocess.FittedPipeline;
import dev.strata.preprocess.InputSpec;
import dev.strata.preprocess.PipelineFitter;
import dev.strata.preprocess.PipelineSpec;
import dev.strata.preprocess.Step;
import dev.strata.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.strata.protocol.grpc.InferTensorContents;
import dev.strata.protocol.grpc.ModelInferRequest;
import dev.strata.protocol.grpc.ModelInferRequest.InferInputTensor;
import dev.strata.protocol.grpc.ModelInferResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client's mistakes that only the model's own semantics reveal, over real HTTP and gRPC: inputs
 * that disagree on a shared symbolic dimension, an index out of a table's range (513 tokens into a
 * 512-position model), strings that are not UTF-8, an image too large to decode. Each is a 400 /
 * INVALID_ARGUMENT naming the problem, none costs the other requests of its batch, and none is
 * counted as in flight afterwards, nor is a request whose client went away.
 */
class RequestFaultIT {
  static final int POSITIONS = 512;
  static final int WIDTH = 4;

  @TempDir static Path dir;
  static TestServer server;
  static final HttpClient http = HttpClient.newHttpClient();
  static ManagedChannel channel;
  static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub grpc;
  static GRPCInferenceServiceGrpc.GRPCInferenceServiceFutureStub grpcAsync;

  @BeforeAll
  static void start() {
    TestServer.writeModel(dir, "tokens", 1, ExampleModels.tokenEmbedding(POSITIONS, WIDTH));
    // Requests wait 20 ms for each other, so concurrent ones share a batch.
    TestServer.writeFile(
        dir.resolve("tokens").resolve("config.json"),
        "{\"max_batch_size\": 8, \"dynamic_batching\": {\"max_queue_delay_us\": 20000}}");
    OnnxGraphBuilder g = OnnxGraphBuilder.create("strings");
    String in = g.input("text", DataType.BYTES, Shape.of(-1));
    g.output(g.node("Identity", List.of(in), Map.of(), "same"), DataType.BYTES, Shape.of(-1));
    TestServer.writeModel(dir, "strings", 1, g.build());
    TestServer.writeModel(
        dir,
        "images",
        1,
        OnnxModels.withMetadata(
            ExampleModels.smallCnn(4),
            Map.of(
                FittedPipeline.METADATA_KEY,
                "{\"format_version\":1,\"input\":{\"kind\":\"image\",\"channels\":1,\"height\":28,"
                    + "\"width\":28},\"steps\":[],\"augmentation\":[],\"model_input\":\"input\"}")));
    // A tabular pipeline: raw rows "age,color" one-hot encoded into the mlp's 3 features.
    InputSpec.Tabular columns =
        new InputSpec.Tabular(
            List.of(
                new InputSpec.Column("age", InputSpec.ColumnKind.NUMERIC),
                new InputSpec.Column("color", InputSpec.ColumnKind.CATEGORICAL)),
            "label");
    FittedPipeline rows =
        PipelineFitter.fitRows(
                PipelineSpec.of(columns, List.of(new Step.OneHot(List.of("color")))),
                List.of(List.of("1", "red"), List.of("2", "blu\u00e9")),
                "rows")
            .pipeline()
            .withModelInput("input");
    TestServer.writeModel(
        dir,
        "rows",
        1,
        OnnxModels.withMetadata(
            ExampleModels.mlp(3, 4, 2, 1), Map.of(FittedPipeline.METADATA_KEY, rows.toJson())));
    // Holds a request for up to 10 s to fill a batch: a dropped one is seen leaving the queue.
    TestServer.writeModel(dir, "slow", 1, ExampleModels.mlp(4, 8, 3, 1));
    TestServer.writeFile(
        dir.resolve("slow").resolve("config.json"),
        "{\"max_batch_size\": 8, \"dynamic_batching\": {\"max_queue_delay_us\": 10000000}}");
    server = TestServer.start(dir);
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.server.grpcPort().orElseThrow())
            .usePlaintext()
            .build();
    grpc = GRPCInferenceServiceGrpc.newBlockingStub(channel);
    grpcAsync = GRPCInferenceServiceGrpc.newFutureStub(channel);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
  }

  @AfterEach
  void nothingIsLeftInFlight() {
    Awaitility.await()
        .atMost(Duration.ofSeconds(3))
        .until(() -> server.server.inFlightHttpRequests() == 0 && pendingInQueues() == 0);
  }

  static double pendingInQueues() {
    return server.registry.find("strata.inference.queue.pending").gauges().stream()
        .mapToDouble(g -> g.value())
        .sum();
  }

  // ---- shared symbolic dimensions ------------------------------------------------------------

  @Test
  void inputsThatDisagreeOnASharedDimensionAre400NamingBoth() throws Exception {
    HttpResponse<String> r = post("/v2/models/tokens/infer", tokensBody(new long[] {1, 2, 3}, 2));
    expect(r, 400, "'input_ids'", "'attention_mask'", "'sequence'");
    expectGrpc(
        tokensRequest(new long[] {1, 2, 3}, 1), "'input_ids'", "'attention_mask'", "'sequence'");
  }

  // ---- failures inside ONNX Runtime caused by the request ------------------------------------

  @Test
  void anIndexOutOfTheTablesRangeIs400WithAShortMessage() throws Exception {
    HttpResponse<String> r = post("/v2/models/tokens/infer", tokensBody(new long[] {0, 512}, 2));
    expect(r, 400, "Gather node", "idx=512");
    assertThat(r.body()).doesNotContain(".cc:", ".h:", "onnxruntime_src", "ONNXRuntimeError");
    expectGrpc(tokensRequest(new long[] {513}, 1), "Gather node", "idx=513");
  }

  @Test
  void theLastPositionIsServed() throws Exception {
    HttpResponse<String> r = post("/v2/models/tokens/infer", tokensBody(new long[] {511}, 1));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).contains("[2044.0,2045.0,2046.0,2047.0]");
    ModelInferResponse g = grpc.modelInfer(tokensRequest(new long[] {511}, 1).build());
    assertThat(floats(g, 0)).containsExactly(2044, 2045, 2046, 2047);
  }

  @Test
  void concurrentBadRequestsFailAloneAndEveryGoodOneGetsItsOwnAnswer() throws Exception {
    int clients = 12;
    List<CompletableFuture<HttpResponse<String>>> rest = new ArrayList<>();
    List<com.google.common.util.concurrent.ListenableFuture<ModelInferResponse>> rpc =
        new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      long id = i % 4 == 3 ? POSITIONS + i : i;
      rest.add(
          http.sendAsync(
              HttpRequest.newBuilder(server.http("/v2/models/tokens/infer"))
                  .POST(HttpRequest.BodyPublishers.ofString(tokensBody(new long[] {id}, 1)))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
      rpc.add(grpcAsync.modelInfer(tokensRequest(new long[] {id}, 1).build()));
    }
    for (int i = 0; i < clients; i++) {
      HttpResponse<String> r = rest.get(i).get(20, TimeUnit.SECONDS);
      if (i % 4 == 3) {
        expect(r, 400, "Gather node", "idx=" + (POSITIONS + i));
        int k = i;
        assertThatThrownBy(() -> rpc.get(k).get(20, TimeUnit.SECONDS))
            .cause()
            .isInstanceOfSatisfying(
                StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
      } else {
        float first = i * WIDTH;
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body())
            .contains(
                "[" + first + "," + (first + 1) + "," + (first + 2) + "," + (first + 3) + "]");
        assertThat(floats(rpc.get(i).get(20, TimeUnit.SECONDS), 0))
            .containsExactly(first, first + 1, first + 2, first + 3);
      }
    }
  }

  // ---- strings -------------------------------------------------------------------------------

  @Test
  void bytesThatAreNotUtf8Are400NamingTheInputAndTheElement() throws Exception {
    byte[] latin1 = "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1);
    byte[] elements = bytesElements("ok".getBytes(StandardCharsets.UTF_8), latin1);
    String json =
        "{\"inputs\":[{\"name\":\"text\",\"shape\":[2],\"datatype\":\"BYTES\","
            + "\"parameters\":{\"binary_data_size\":"
            + elements.length
            + "}}]}";
    HttpResponse<String> r = postBinary("/v2/models/strings/infer", json, elements);
    expect(r, 400, "'text'", "element 1", "UTF-8");
    // The same bytes inside a JSON string: JSON is UTF-8, so the body itself is malformed.
    byte[] head =
        "{\"inputs\":[{\"name\":\"text\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\""
            .getBytes(StandardCharsets.UTF_8);
    byte[] tail = "\"]}]}".getBytes(StandardCharsets.UTF_8);
    byte[] body = new byte[head.length + latin1.length + tail.length];
    System.arraycopy(head, 0, body, 0, head.length);
    System.arraycopy(latin1, 0, body, head.length, latin1.length);
    System.arraycopy(tail, 0, body, head.length + latin1.length, tail.length);
    HttpResponse<String> j =
        http.send(
            HttpRequest.newBuilder(server.http("/v2/models/strings/infer"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    expect(j, 400, "UTF-8");

    ModelInferRequest.Builder g =
        ModelInferRequest.newBuilder()
            .setModelName("strings")
            .addInputs(
                InferInputTensor.newBuilder()
                    .setName("text")
                    .setDatatype("BYTES")
                    .addShape(2)
                    .setContents(
                        InferTensorContents.newBuilder()
                            .addBytesContents(ByteString.copyFrom(latin1))
                            .addBytesContents(ByteString.copyFromUtf8("ok"))));
    expectGrpc(g, "'text'", "element 0", "UTF-8");
  }

  @Test
  void rowsForAPipelineThatAreNotUtf8Are400() throws Exception {
    // "2,blu\u00e9" in Latin-1: decoded leniently it would become an unseen category, a wrong 200
    byte[] latin1 = "2,blu\u00e9".getBytes(StandardCharsets.ISO_8859_1);
    byte[] elements = bytesElements(latin1);
    String json =
        "{\"inputs\":[{\"name\":\"rows\",\"shape\":[1],\"datatype\":\"BYTES\","
            + "\"parameters\":{\"binary_data_size\":"
            + elements.length
            + "}}]}";
    expect(postBinary("/v2/models/rows/infer", json, elements), 400, "'rows'", "UTF-8");
    expectGrpc(
        ModelInferRequest.newBuilder()
            .setModelName("rows")
            .addInputs(
                InferInputTensor.newBuilder()
                    .setName("rows")
                    .setDatatype("BYTES")
                    .addShape(1)
                    .setContents(
                        InferTensorContents.newBuilder()
                            .addBytesContents(ByteString.copyFrom(latin1)))),
        "'rows'",
        "UTF-8");
    // the same row in UTF-8 is served
    byte[] utf8 = bytesElements("2,blu\u00e9".getBytes(StandardCharsets.UTF_8));
    String ok =
        "{\"inputs\":[{\"name\":\"rows\",\"shape\":[1],\"datatype\":\"BYTES\","
            + "\"parameters\":{\"binary_data_size\":"
            + utf8.length
            + "}}]}";
    assertThat(postBinary("/v2/models/rows/infer", ok, utf8).statusCode()).isEqualTo(200);
  }

  @Test
  void utf8StringsArriveIntact() {
    String text = "caf\u00e9 \u65e5\u672c \uD83D\uDE00";
    ModelInferRequest.Builder g =
        ModelInferRequest.newBuilder()
            .setModelName("strings")
            .addInputs(
                InferInputTensor.newBuilder()
                    .setName("text")
                    .setDatatype("BYTES")
                    .addShape(1)
                    .setContents(
                        InferTensorContents.newBuilder()
                            .addBytesContents(ByteString.copyFromUtf8(text))));
    ModelInferResponse r = grpc.modelInfer(g.build());
    ByteBuffer raw =
        r.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    byte[] out = new byte[raw.getInt()];
    raw.get(out);
    assertThat(new String(out, StandardCharsets.UTF_8)).isEqualTo(text);
  }

  // ---- images --------------------------------------------------------------------------------

  @Test
  void anImageTooLargeToDecodeIs400AtOnce() throws Exception {
    byte[] png = LargePng.gray(16000, 16000);
    byte[] elements = bytesElements(png);
    String json =
        "{\"inputs\":[{\"name\":\"image\",\"shape\":[1],\"datatype\":\"BYTES\","
            + "\"parameters\":{\"binary_data_size\":"
            + elements.length
            + "}}]}";
    long start = System.nanoTime();
    HttpResponse<String> r = postBinary("/v2/models/images/infer", json, elements);
    long restMs = (System.nanoTime() - start) / 1_000_000;
    expect(r, 400, "image 0", "16000 x 16000", "limit of 16777216 pixels");

    ModelInferRequest.Builder g =
        ModelInferRequest.newBuilder()
            .setModelName("images")
            .addInputs(
                InferInputTensor.newBuilder().setName("image").setDatatype("BYTES").addShape(1))
            .addRawInputContents(ByteString.copyFrom(elements));
    start = System.nanoTime();
    expectGrpc(g, "image 0", "16000 x 16000");
    long grpcMs = (System.nanoTime() - start) / 1_000_000;
    // Decoding it took 8 s and 2.2 GB; the header alone takes milliseconds.
    assertThat(restMs).isLessThan(2000);
    assertThat(grpcMs).isLessThan(2000);
  }

  // ---- requests whose client goes away -------------------------------------------------------

  @Test
  void aClientThatClosesMidBodyLeavesNothingInFlight() throws Exception {
    try (Socket s = new Socket("127.0.0.1", server.server.httpPort())) {
      OutputStream out = s.getOutputStream();
      out.write(
          ("POST /v2/models/mlp/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  + "Content-Length: 1000\r\n\r\n{\"inputs\":[")
              .getBytes(StandardCharsets.UTF_8));
      out.flush();
    }
    Awaitility.await()
        .atMost(Duration.ofSeconds(3))
        .until(() -> server.server.inFlightHttpRequests() == 0);
  }

  @Test
  void aQueuedRequestWhoseClientGoesAwayLeavesTheQueueAtOnce() throws Exception {
    String body =
        "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}";
    try (Socket s = new Socket("127.0.0.1", server.server.httpPort())) {
      OutputStream out = s.getOutputStream();
      out.write(
          ("POST /v2/models/slow/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  + "Content-Length: "
                  + body.length()
                  + "\r\n\r\n"
                  + body)
              .getBytes(StandardCharsets.UTF_8));
      out.flush();
      Awaitility.await().atMost(Duration.ofSeconds(3)).until(() -> pendingInQueues() == 1);
      assertThat(server.server.inFlightHttpRequests()).isEqualTo(1);
    }
    // Far sooner than the 10 s the batcher would hold it.
    Awaitility.await()
        .atMost(Duration.ofSeconds(3))
        .until(() -> pendingInQueues() == 0 && server.server.inFlightHttpRequests() == 0);

    ByteBuffer data = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    data.putFloat(1).putFloat(2).putFloat(3).putFloat(4).flip();
    var call =
        grpcAsync.modelInfer(
            ModelInferRequest.newBuilder()
                .setModelName("slow")
                .addInputs(
                    InferInputTensor.newBuilder()
                        .setName("input")
                        .setDatatype("FP32")
                        .addShape(1)
                        .addShape(4))
                .addRawInputContents(ByteString.copyFrom(data))
                .build());
    Awaitility.await().atMost(Duration.ofSeconds(3)).until(() -> pendingInQueues() == 1);
    call.cancel(true);
    Awaitility.await().atMost(Duration.ofSeconds(3)).until(() -> pendingInQueues() == 0);
  }

  // ---- helpers -------------------------------------------------------------------------------

  static String tokensBody(long[] ids, int maskLength) {
    return "{\"inputs\":[{\"name\":\"input_ids\",\"shape\":[1,"
        + ids.length
        + "],\"datatype\":\"INT64\",\"data\":"
        + java.util.Arrays.toString(ids).replace(" ", "")
        + "},{\"name\":\"attention_mask\",\"shape\":[1,"
        + maskLength
        + "],\"datatype\":\"INT64\",\"data\":["
        + "1,".repeat(maskLength - 1)
        + "1]}],\"outputs\":[{\"name\":\"embeddings\"}]}";
  }

  static ModelInferRequest.Builder tokensRequest(long[] ids, int maskLength) {
    ByteBuffer idBytes = ByteBuffer.allocate(8 * ids.length).order(ByteOrder.LITTLE_ENDIAN);
    for (long id : ids) {
      idBytes.putLong(id);
    }
    ByteBuffer mask = ByteBuffer.allocate(8 * maskLength).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < maskLength; i++) {
      mask.putLong(1);
    }
    return ModelInferRequest.newBuilder()
        .setModelName("tokens")
        .addInputs(
            InferInputTensor.newBuilder()
                .setName("input_ids")
                .setDatatype("INT64")
                .addShape(1)
                .addShape(ids.length))
        .addInputs(
            InferInputTensor.newBuilder()
                .setName("attention_mask")
                .setDatatype("INT64")
                .addShape(1)
                .addShape(maskLength))
        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("embeddings"))
        .addRawInputContents(ByteString.copyFrom(idBytes.flip()))
        .addRawInputContents(ByteString.copyFrom(mask.flip()));
  }

  static float[] floats(ModelInferResponse r, int output) {
    ByteBuffer b =
        r.getRawOutputContents(output).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[b.remaining() / 4];
    b.asFloatBuffer().get(out);
    return out;
  }

  static byte[] bytesElements(byte[]... elements) {
    int size = 0;
    for (byte[] e : elements) {
      size += 4 + e.length;
    }
    ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    for (byte[] e : elements) {
      b.putInt(e.length).put(e);
    }
    return b.array();
  }

  static HttpResponse<String> post(String path, String json) throws Exception {
    return http.send(
        HttpRequest.newBuilder(server.http(path))
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> postBinary(String path, String json, byte[] binary) throws Exception {
    byte[] header = json.getBytes(StandardCharsets.UTF_8);
    byte[] body = new byte[header.length + binary.length];
    System.arraycopy(header, 0, body, 0, header.length);
    System.arraycopy(binary, 0, body, header.length, binary.length);
    return http.send(
        HttpRequest.newBuilder(server.http(path))
            .header("Inference-Header-Content-Length", Integer.toString(header.length))
            .header("Content-Type", "application/octet-stream")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static void expect(HttpResponse<String> r, int status, String... named) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.body()).startsWith("{\"error\":\"").contains(named);
  }

  static void expectGrpc(ModelInferRequest.Builder request, String... named) {
    assertThatThrownBy(() -> grpc.modelInfer(request.build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains(named);
            });
  }
}
