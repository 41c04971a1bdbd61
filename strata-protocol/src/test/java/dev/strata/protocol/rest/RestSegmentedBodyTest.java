package dev.strata.protocol.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.InferenceRequest;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * A request body that lies in several buffers, as it arrives over the network: decoded as the same
 * request as the joined body, with binary tensors left where they lie.
 */
class RestSegmentedBodyTest {
  private final RestCodec codec = new RestCodec();

  private static final Tensor IMAGE = Tensor.ofFloats("x", Shape.of(2, 3), 1f, 2f, 3f, 4f, 5f, 6f);
  private static final Tensor MASK = Tensor.ofInts("m", Shape.of(2), 7, 8);

  private EncodedBody binaryBody() {
    return codec.encodeInferRequest(InferenceRequest.of("m", List.of(IMAGE, MASK)), true, false);
  }

  /** The body cut at {@code cuts}, each piece in its own direct buffer (as Netty reads them). */
  private static List<ByteBuffer> cut(byte[] body, int... cuts) {
    List<ByteBuffer> out = new ArrayList<>();
    int from = 0;
    for (int i = 0; i <= cuts.length; i++) {
      int to = i < cuts.length ? cuts[i] : body.length;
      ByteBuffer b = ByteBuffer.allocateDirect(to - from);
      b.put(body, from, to - from).flip();
      out.add(b);
      from = to;
    }
    return out;
  }

  @Test
  void binaryTensorsStraddlingBuffersAreViewsOfThem() {
    EncodedBody body = binaryBody();
    byte[] bytes = body.toByteArray();
    int json = body.inferenceHeaderContentLength().getAsInt();
    // the JSON is cut in two, the first tensor in three, the second tensor in two
    List<ByteBuffer> pieces = cut(bytes, json / 2, json + 5, json + 13, json + 26);

    InferenceRequest r =
        codec.decodeInfer("m", Optional.empty(), pieces, OptionalInt.of(json)).request();

    Tensor x = r.inputs().get(0);
    assertThat(x.isContiguous()).isFalse();
    assertThat(x.segments()).hasSize(3).allMatch(ByteBuffer::isDirect);
    assertThat(r.inputs().get(1).segments()).hasSize(2);
    // the caller's buffers are left as they were
    assertThat(pieces).allMatch(b -> b.position() == 0);

    // a view: a change to the network buffer shows through (hence the caller's lifetime rules);
    // x's bytes 13..23 lie in piece 3, so its last element at 7 there
    pieces.get(3).order(ByteOrder.LITTLE_ENDIAN).putFloat(7, 42f);
    ByteBuffer copied = ByteBuffer.allocate(x.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    x.copyTo(copied);
    assertThat(copied.getFloat(20)).isEqualTo(42f);
    pieces.get(3).putFloat(7, 6f);
    assertThat(r.inputs()).containsExactly(IMAGE, MASK);
  }

  @Test
  void aJsonBodyInPiecesIsTheSameRequest() {
    byte[] bytes =
        codec
            .encodeInferRequest(InferenceRequest.of("m", List.of(IMAGE, MASK)), false, false)
            .toByteArray();
    InferenceRequest r =
        codec
            .decodeInfer(
                "m", Optional.empty(), cut(bytes, 1, 17, bytes.length - 3), OptionalInt.empty())
            .request();
    assertThat(r.inputs()).containsExactly(IMAGE, MASK);
  }

  @Test
  void sizesThatDisagreeWithTheBuffersFailAsTheyDoForOneArray() {
    EncodedBody body = binaryBody();
    byte[] bytes = body.toByteArray();
    int json = body.inferenceHeaderContentLength().getAsInt();
    List<ByteBuffer> truncated = cut(java.util.Arrays.copyOf(bytes, bytes.length - 4), json + 3);
    assertThatThrownBy(
            () -> codec.decodeInfer("m", Optional.empty(), truncated, OptionalInt.of(json)))
        .isInstanceOf(StrataException.class)
        .hasMessageContaining("input 'm': binary data truncated");
    assertThatThrownBy(
            () ->
                codec.decodeInfer(
                    "m", Optional.empty(), cut(bytes, 10), OptionalInt.of(bytes.length + 1)))
        .isInstanceOf(StrataException.class)
        .hasMessageContaining("Inference-Header-Content-Length");
  }
}
