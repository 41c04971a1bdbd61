package dev.strata.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.strata.core.InferenceRequest;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.protocol.client.StrataClient;
import dev.strata.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.strata.protocol.grpc.InferTensorContents;
import dev.strata.protocol.grpc.ModelInferRequest;
import dev.strata.protocol.grpc.ModelInferRequest.InferInputTensor;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of bad input the protocol can carry, over real HTTP and real gRPC: each gets a 4xx (or
 * the matching gRPC status) whose message names the problem, and afterwards the server is healthy,
 * serves a good request and holds no request or queued work.
 */
class BadInputIT {
  @TempDir static Path dir;
  static TestServer server;
  static HttpClient http = HttpClient.newHttpClient();
  static ManagedChannel channel;
  static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub grpc;

  @BeforeAll
  static void start() {
    server = TestServer.start(dir);
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.server.grpcPort().orElseThrow())
            .usePlaintext()
            .build();
    grpc = GRPCInferenceServiceGrpc.newBlockingStub(channel);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
  }

  @AfterEach
  void serverStaysHealthyAndHoldsNothing() throws Exception {
    assertThat(send("GET", "/v2/health/ready", null, null).statusCode()).isEqualTo(200);
    try (StrataClient c = server.rest()) {
      Tensor ok = Tensor.ofFloats("input", Shape.of(1, 4), 1, 2, 3, 4);
      assertThat(c.infer(InferenceRequest.of(TestServer.MLP, List.of(ok))).outputs()).hasSize(1);
    }
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(5))
        .until(() -> server.server.inFlightHttpRequests() == 0);
    String metrics = send("GET", "/metrics", null, null).body();
    assertThat(metrics).doesNotContainPattern("strata_inference_queue_pending\\{[^}]*\\} [1-9]");
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  @Test
  void malformedJson() throws Exception {
    expect(post("/v2/models/mlp/infer", "{\"inputs\": [ {\"name\": \"input\", "), 400, "JSON");
  }

  @Test
  void unknownModelAndVersion() throws Exception {
    expect(
        post("/v2/models/nope/infer", mlpBody("input", "FP32", "[1,4]", "[1,2,3,4]")), 404, "nope");
    expect(
        post("/v2/models/mlp/versions/9/infer", mlpBody("input", "FP32", "[1,4]", "[1,2,3,4]")),
        404,
        "9");
  }

  @Test
  void unknownInputName() throws Exception {
    expect(
        post("/v2/models/mlp/infer", mlpBody("pixels", "FP32", "[1,4]", "[1,2,3,4]")),
        400,
        "pixels");
  }

  @Test
  void missingInput() throws Exception {
    String body =
        "{\"inputs\":[{\"name\":\"in_FP32\",\"shape\":[1,3],\"datatype\":\"FP32\",\"data\":[1,2,3]}]}";
    expect(post("/v2/models/identity/infer", body), 400, "in_BOOL");
  }

  @Test
  void datatypeMismatch() throws Exception {
    expect(
        post("/v2/models/mlp/infer", mlpBody("input", "FP64", "[1,4]", "[1,2,3,4]")), 400, "FP64");
  }

  @Test
  void shapeDisagreesWithData() throws Exception {
    expect(
        post("/v2/models/mlp/infer", mlpBody("input", "FP32", "[1,4]", "[1,2,3]")), 400, "input");
    expect(
        post("/v2/models/mlp/infer", mlpBody("input", "FP32", "[1,5]", "[1,2,3,4,5]")),
        400,
        "[1, 5]");
  }

  @Test
  void batchOverMaxBatchSize() throws Exception {
    expect(
        post(
            "/v2/models/mlp/infer",
            mlpBody("input", "FP32", "[5,4]", "[" + "0,".repeat(19) + "0]")),
        400,
        "max_batch_size");
  }

  @Test
  void unknownRequestedOutput() throws Exception {
    String body =
        "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}],"
            + "\"outputs\":[{\"name\":\"logits\"}]}";
    expect(post("/v2/models/mlp/infer", body), 400, "logits");
  }

  @Test
  void bodyOverTheSizeLimit() throws Exception {
    byte[] big = new byte[TestServer.MAX_REQUEST_BYTES + 1];
    expect(send("POST", "/v2/models/mlp/infer", big, null), 413, "over the limit");
  }

  @Test
  void truncatedBinaryPayload() throws Exception {
    String json =
        "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,4],\"datatype\":\"FP32\","
            + "\"parameters\":{\"binary_data_size\":16}}]}";
    byte[] header = json.getBytes(StandardCharsets.UTF_8);
    byte[] body = concat(header, new byte[8]);
    expect(
        send("POST", "/v2/models/mlp/infer", body, Integer.toString(header.length)), 400, "input");
  }

  @Test
  void wrongInferenceHeaderContentLength() throws Exception {
    byte[] body = mlpBody("input", "FP32", "[1,4]", "[1,2,3,4]").getBytes(StandardCharsets.UTF_8);
    expect(
        send("POST", "/v2/models/mlp/infer", body, "twelve"),
        400,
        "Inference-Header-Content-Length");
    expect(
        send("POST", "/v2/models/mlp/infer", body, Integer.toString(body.length + 10)),
        400,
        "Inference-Header-Content-Length");
    expect(
        send("POST", "/v2/models/mlp/infer", body, "-1"), 400, "Inference-Header-Content-Length");
  }

  @Test
  void unknownEndpointAndMethod() throws Exception {
    expect(send("GET", "/v2/nothing/here", null, null), 404, "/v2/nothing/here");
    HttpResponse<String> r = send("DELETE", "/v2/models/mlp/infer", null, null);
    expect(r, 405, "DELETE");
    assertThat(r.headers().firstValue("Allow")).contains("POST");
  }

  @Test
  void malformedPercentEncodingInThePathIs400NamingIt() throws Exception {
    for (String path :
        List.of("/v2/models/%zz", "/v2/models/%", "/v2/models/%zz/infer", "/v2/nothing/%e", "/%")) {
      String response;
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", server.server.httpPort())) {
        s.getOutputStream()
            .write(
                ("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
        response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      }
      assertThat(response)
          .as(path)
          .startsWith("HTTP/1.1 400 ")
          .contains("\"error\":\"malformed percent-encoding in '" + path + "'")
          .contains("\"code\":\"INVALID_ARGUMENT\"");
    }
  }

  // ---- gRPC ----------------------------------------------------------------------------------

  @Test
  void grpcUnknownModelAndVersion() {
    expectGrpc(mlpRequest().setModelName("nope"), Status.Code.NOT_FOUND, "nope");
    expectGrpc(mlpRequest().setModelVersion("9"), Status.Code.NOT_FOUND, "9");
  }

  @Test
  void grpcUnknownAndMissingInputs() {
    ModelInferRequest.Builder r = mlpRequest();
    r.getInputsBuilder(0).setName("pixels");
    expectGrpc(r, Status.Code.INVALID_ARGUMENT, "pixels");
    ModelInferRequest.Builder identity =
        ModelInferRequest.newBuilder()
            .setModelName(TestServer.IDENTITY)
            .addInputs(
                InferInputTensor.newBuilder()
                    .setName("in_INT32")
                    .setDatatype("INT32")
                    .addShape(1)
                    .addShape(3))
            .addRawInputContents(ByteString.copyFrom(new byte[12]));
    expectGrpc(identity, Status.Code.INVALID_ARGUMENT, "in_BOOL");
  }

  @Test
  void grpcDatatypeShapeAndBatchErrors() {
    ModelInferRequest.Builder dtype = mlpRequest();
    dtype.getInputsBuilder(0).setDatatype("FP64");
    expectGrpc(dtype, Status.Code.INVALID_ARGUMENT, "FP64");
    ModelInferRequest.Builder unknownType = mlpRequest();
    unknownType.getInputsBuilder(0).setDatatype("FLOAT128");
    expectGrpc(unknownType, Status.Code.INVALID_ARGUMENT, "FLOAT128");
    expectGrpc(
        mlpRequest().setRawInputContents(0, ByteString.copyFrom(new byte[12])),
        Status.Code.INVALID_ARGUMENT,
        "input");
    ModelInferRequest.Builder batch = mlpRequest();
    batch.getInputsBuilder(0).setShape(0, 5);
    batch.setRawInputContents(0, ByteString.copyFrom(new byte[5 * 16]));
    expectGrpc(batch, Status.Code.INVALID_ARGUMENT, "max_batch_size");
  }

  @Test
  void grpcRawContentsCountAndTypedContentsMismatch() {
    expectGrpc(
        mlpRequest().addRawInputContents(ByteString.EMPTY),
        Status.Code.INVALID_ARGUMENT,
        "raw_input_contents");
    ModelInferRequest.Builder typed = mlpRequest().clearRawInputContents();
    typed
        .getInputsBuilder(0)
        .setContents(InferTensorContents.newBuilder().addFp32Contents(1).addFp32Contents(2));
    expectGrpc(typed, Status.Code.INVALID_ARGUMENT, "input");
  }

  @Test
  void grpcMessageOverTheSizeLimit() {
    ModelInferRequest.Builder big = mlpRequest();
    big.setRawInputContents(0, ByteString.copyFrom(new byte[TestServer.MAX_REQUEST_BYTES + 16]));
    assertThatThrownBy(() -> grpc.modelInfer(big.build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static ModelInferRequest.Builder mlpRequest() {
    ByteBuffer data = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    data.putFloat(1).putFloat(2).putFloat(3).putFloat(4).flip();
    return ModelInferRequest.newBuilder()
        .setModelName(TestServer.MLP)
        .addInputs(
            InferInputTensor.newBuilder()
                .setName("input")
                .setDatatype("FP32")
                .addShape(1)
                .addShape(4))
        .addRawInputContents(ByteString.copyFrom(data));
  }

  private static void expectGrpc(
      ModelInferRequest.Builder request, Status.Code code, String named) {
    assertThatThrownBy(() -> grpc.modelInfer(request.build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(code);
              assertThat(e.getStatus().getDescription()).contains(named);
            });
  }

  private static String mlpBody(String name, String datatype, String shape, String data) {
    return "{\"inputs\":[{\"name\":\""
        + name
        + "\",\"shape\":"
        + shape
        + ",\"datatype\":\""
        + datatype
        + "\",\"data\":"
        + data
        + "}]}";
  }

  private static HttpResponse<String> post(String path, String json) throws Exception {
    return send("POST", path, json.getBytes(StandardCharsets.UTF_8), null);
  }

  private static HttpResponse<String> send(
      String method, String path, byte[] body, String headerLength) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(server.http(path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
    if (headerLength != null) {
      b.header("Inference-Header-Content-Length", headerLength);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void expect(HttpResponse<String> r, int status, String named) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
    assertThat(r.body()).startsWith("{\"error\":\"").contains(named);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
