package dev.strata.protocol.rest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.core.DataType;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.OutputRequest;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.core.testing.Tensors;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RestInferRoundTripTest {
  private final RestCodec codec = new RestCodec();

  @ParameterizedTest
  @EnumSource(DataType.class)
  void requestRoundTripsAsJson(DataType type) {
    roundTripRequest(type, false);
  }

  @ParameterizedTest
  @EnumSource(DataType.class)
  void requestRoundTripsAsBinary(DataType type) {
    roundTripRequest(type, true);
  }

  private void roundTripRequest(DataType type, boolean binary) {
    Tensor in = Tensors.sample("x", type);
    InferenceRequest request =
        new InferenceRequest(
            "m",
            Optional.of("2"),
            "req-1",
            List.of(in, Tensor.ofFloats("y", Shape.of(2), 1f, 2f)),
            List.of(new OutputRequest("out", 3, Map.of("note", "kept"))),
            Map.of("priority", 2L, "flag", true, "label", "a", "ratio", 0.5),
            Optional.of(Duration.ofMillis(250)));
    EncodedBody body = codec.encodeInferRequest(request, binary, binary);
    assertThat(body.contentType())
        .isEqualTo(binary ? "application/octet-stream" : "application/json");
    assertThat(body.inferenceHeaderContentLength().isPresent()).isEqualTo(binary);

    byte[] bytes = body.toByteArray();
    RestCodec.DecodedInfer decoded =
        codec.decodeInfer(
            "m", Optional.of("2"), bytes, 0, bytes.length, body.inferenceHeaderContentLength());
    InferenceRequest back = decoded.request();
    assertThat(back.model()).isEqualTo("m");
    assertThat(back.version()).contains("2");
    assertThat(back.id()).isEqualTo("req-1");
    assertThat(back.timeout()).contains(Duration.ofMillis(250));
    assertThat(back.parameters())
        .isEqualTo(Map.of("priority", 2L, "flag", true, "label", "a", "ratio", 0.5));
    assertThat(back.inputs()).hasSize(2);
    Tensor x = back.inputs().get(0);
    assertThat(x.datatype()).isEqualTo(type);
    assertThat(x.shape()).isEqualTo(in.shape());
    assertThat(Tensors.bytes(x)).isEqualTo(Tensors.bytes(in));
    assertThat(back.inputs().get(1).floats()).containsExactly(1f, 2f);
    OutputRequest out = back.outputs().get(0);
    assertThat(out.classification()).isEqualTo(3);
    assertThat(out.parameters()).containsEntry("note", "kept").doesNotContainKey("classification");
    assertThat(decoded.format().binary("out")).isEqualTo(binary);
  }

  @ParameterizedTest
  @EnumSource(DataType.class)
  void responseRoundTripsAsJson(DataType type) {
    roundTripResponse(type, ResponseFormat.JSON);
  }

  @ParameterizedTest
  @EnumSource(DataType.class)
  void responseRoundTripsAsBinary(DataType type) {
    roundTripResponse(type, ResponseFormat.BINARY);
  }

  private void roundTripResponse(DataType type, ResponseFormat format) {
    Tensor t = Tensors.sample("out", type);
    InferenceResponse response =
        new InferenceResponse("m", "3", "abc", List.of(t), Map.of("sequence_end", true));
    EncodedBody body = codec.encodeInfer(response, format);
    byte[] bytes = body.toByteArray();
    InferenceResponse back =
        codec.decodeInferResponse(bytes, 0, bytes.length, body.inferenceHeaderContentLength());
    assertThat(back.model()).isEqualTo("m");
    assertThat(back.version()).isEqualTo("3");
    assertThat(back.id()).isEqualTo("abc");
    assertThat(back.parameters()).isEqualTo(Map.of("sequence_end", true));
    Tensor o = back.output("out").orElseThrow();
    assertThat(o.datatype()).isEqualTo(type);
    assertThat(o.shape()).isEqualTo(t.shape());
    assertThat(Tensors.bytes(o)).isEqualTo(Tensors.bytes(t));
  }

  @Test
  void binaryResponseHasSizesInJsonAndDataAfterIt() {
    Tensor a = Tensor.ofFloats("a", Shape.of(3, 2), 1, 2, 3, 4, 5, 6);
    Tensor b = Tensor.ofInts("b", Shape.of(1), 7);
    InferenceResponse response = new InferenceResponse("m", "1", "", List.of(a, b), Map.of());
    EncodedBody body = codec.encodeInfer(response, new ResponseFormat(false, Map.of("a", true)));
    String json = StandardCharsets.UTF_8.decode(body.json().duplicate()).toString();
    assertThat(json)
        .isEqualTo(
            "{\"model_name\":\"m\",\"model_version\":\"1\",\"outputs\":["
                + "{\"name\":\"a\",\"datatype\":\"FP32\",\"shape\":[3,2],"
                + "\"parameters\":{\"binary_data_size\":24}},"
                + "{\"name\":\"b\",\"datatype\":\"INT32\",\"shape\":[1],\"data\":[7]}]}");
    assertThat(body.inferenceHeaderContentLength()).hasValue(json.length());
    assertThat(body.contentType()).isEqualTo("application/octet-stream");
    assertThat(body.contentLength()).isEqualTo(json.length() + 24);
    assertThat(body.binary()).hasSize(1);
    assertThat(body.binary().get(0).remaining()).isEqualTo(24);
  }

  @Test
  void jsonOnlyResponseIsPlainJson() {
    InferenceResponse response =
        new InferenceResponse(
            "m", "1", "7", List.of(Tensor.ofFloats("y", Shape.of(2), 0.5f, -1f)), Map.of());
    EncodedBody body = codec.encodeInfer(response, ResponseFormat.JSON);
    assertThat(body.contentType()).isEqualTo("application/json");
    assertThat(body.inferenceHeaderContentLength()).isEmpty();
    assertThat(new String(body.toByteArray(), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"model_name\":\"m\",\"model_version\":\"1\",\"id\":\"7\",\"outputs\":["
                + "{\"name\":\"y\",\"datatype\":\"FP32\",\"shape\":[2],\"data\":[0.5,-1.0]}]}");
  }

  @Test
  void bytesOutputThatIsNotUtf8GoesAsBinaryEvenWhenJsonWasAsked() {
    Tensor raw = Tensor.ofBytes("img", Shape.of(1), List.of(new byte[] {(byte) 0xff, 0, 1}));
    EncodedBody body =
        codec.encodeInfer(
            new InferenceResponse("m", "1", "", List.of(raw), Map.of()), ResponseFormat.JSON);
    assertThat(body.binary()).hasSize(1);
    byte[] bytes = body.toByteArray();
    InferenceResponse back =
        codec.decodeInferResponse(bytes, 0, bytes.length, body.inferenceHeaderContentLength());
    assertThat(back.outputs().get(0).bytesElements().get(0)).containsExactly((byte) 0xff, 0, 1);
  }

  @Test
  void bytesInputThatIsNotUtf8GoesAsBinaryEvenInAJsonRequest() {
    Tensor raw =
        Tensor.ofBytes(
            "img", Shape.of(2), List.of(new byte[] {(byte) 0xc3}, new byte[] {'o', 'k'}));
    Tensor text = Tensor.ofStrings("txt", Shape.of(1), List.of("fine"));
    EncodedBody body =
        codec.encodeInferRequest(InferenceRequest.of("m", List.of(text, raw)), false, false);
    assertThat(body.binary()).hasSize(1);
    assertThat(body.contentType()).isEqualTo("application/octet-stream");
    byte[] bytes = body.toByteArray();
    InferenceRequest back =
        codec
            .decodeInfer(
                "m", Optional.empty(), bytes, 0, bytes.length, body.inferenceHeaderContentLength())
            .request();
    assertThat(back.inputs().get(0).strings()).containsExactly("fine");
    assertThat(back.inputs().get(1).bytesElements().get(0)).containsExactly((byte) 0xc3);
    assertThat(back.inputs().get(1).bytesElements().get(1)).containsExactly('o', 'k');
  }

  @Test
  void encodedBodiesAreImmutableViews() {
    EncodedBody body =
        codec.encodeInferRequest(
            InferenceRequest.of("m", List.of(Tensor.ofInts("x", Shape.of(1), 3))), true, true);
    body.json().position(5);
    body.binary().get(0).position(4);
    assertThat(body.json().position()).isZero();
    assertThat(body.binary().get(0).remaining()).isEqualTo(4);
    assertThat(body.json().isReadOnly()).isTrue();
  }

  @Test
  void binaryInputsAreViewsOfTheBodyNotCopies() {
    InferenceRequest request =
        InferenceRequest.of("m", List.of(Tensor.ofFloats("x", Shape.of(2), 1f, 2f)));
    EncodedBody body = codec.encodeInferRequest(request, true, true);
    byte[] bytes = body.toByteArray();
    Tensor x =
        codec
            .decodeInfer(
                "m", Optional.empty(), bytes, 0, bytes.length, body.inferenceHeaderContentLength())
            .request()
            .inputs()
            .get(0);
    ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(bytes.length - 4, 9f);
    assertThat(x.floats()).containsExactly(1f, 9f);
  }

  @Test
  void decodesFromAnOffsetWithinALargerArrayAndFromBuffers() {
    InferenceRequest request =
        InferenceRequest.of("m", List.of(Tensor.ofInts("x", Shape.of(2), 4, 5)));
    for (boolean binary : new boolean[] {false, true}) {
      EncodedBody body = codec.encodeInferRequest(request, binary, false);
      byte[] inner = body.toByteArray();
      byte[] padded = new byte[inner.length + 20];
      System.arraycopy(inner, 0, padded, 7, inner.length);
      InferenceRequest fromArray =
          codec
              .decodeInfer(
                  "m",
                  Optional.empty(),
                  padded,
                  7,
                  inner.length,
                  body.inferenceHeaderContentLength())
              .request();
      assertThat(fromArray.inputs().get(0).ints()).containsExactly(4, 5);
      ByteBuffer direct = ByteBuffer.allocateDirect(inner.length).put(inner).flip();
      InferenceRequest fromDirect =
          codec
              .decodeInfer("m", Optional.empty(), direct, body.inferenceHeaderContentLength())
              .request();
      assertThat(fromDirect.inputs().get(0).ints()).containsExactly(4, 5);
    }
  }
}
