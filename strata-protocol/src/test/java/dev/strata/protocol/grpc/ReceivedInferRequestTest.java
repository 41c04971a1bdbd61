package dev.strata.protocol.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.InferenceRequest;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import io.grpc.Detachable;
import io.grpc.HasByteBuffer;
import io.grpc.KnownLength;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The ModelInfer request marshaller: raw contents parsed in place over lent buffers. */
class ReceivedInferRequestTest {
  private static final float[] VALUES = new float[1000];

  static {
    for (int i = 0; i < VALUES.length; i++) {
      VALUES[i] = i * 0.5f;
    }
  }

  private static byte[] message() {
    Tensor x = Tensor.ofFloats("x", Shape.of(1, VALUES.length), VALUES);
    return GrpcConverters.modelInferRequest(InferenceRequest.of("m", List.of(x)), true)
        .toByteArray();
  }

  @Test
  void rawContentsAreViewsOfTheLentBuffersUntilClosed() {
    byte[] bytes = message();
    LendingStream wire = LendingStream.of(bytes, 1000); // a few buffers, as HTTP/2 frames arrive
    ReceivedInferRequest received = ReceivedInferRequest.marshaller().parse(wire);

    assertThat(received.aliased()).isTrue();
    assertThat(wire.available()).isZero(); // detached: the call's stream no longer owns them
    Tensor x =
        GrpcConverters.inferenceRequest(received.message(), Optional.empty()).inputs().getFirst();
    assertThat(x.isContiguous()).isFalse();
    assertThat(x.segments()).allMatch(ByteBuffer::isDirect);
    ByteBuffer copy = ByteBuffer.allocate(x.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    x.copyTo(copy);
    assertThat(copy.getFloat(4 * 999)).isEqualTo(VALUES[999]);

    // a view: changing the network buffer under the last element shows through
    ByteBuffer lastBuffer = wire.detachedTo.buffers.getLast();
    lastBuffer.order(ByteOrder.LITTLE_ENDIAN).putFloat(lastBuffer.limit() - 4, -1f);
    x.copyTo(copy.clear());
    assertThat(copy.getFloat(4 * 999)).isEqualTo(-1f);

    assertThat(wire.detachedTo.closes).hasValue(0);
    received.close();
    received.close();
    assertThat(wire.detachedTo.closes).hasValue(1);
  }

  @Test
  void aStreamThatLendsNothingIsParsedByCopying() {
    ReceivedInferRequest received =
        ReceivedInferRequest.marshaller().parse(new ByteArrayInputStream(message()));
    assertThat(received.aliased()).isFalse();
    Tensor x =
        GrpcConverters.inferenceRequest(received.message(), Optional.empty()).inputs().getFirst();
    assertThat(x.floats()).containsExactly(VALUES);
    received.close(); // nothing to hand back
  }

  @Test
  void aMalformedMessageIsInvalidAndHandsItsBuffersBack() {
    byte[] bytes = message();
    byte[] cut = java.util.Arrays.copyOf(bytes, bytes.length - 100);
    LendingStream wire = LendingStream.of(cut, 512);
    assertThatThrownBy(() -> ReceivedInferRequest.marshaller().parse(wire))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("INVALID_ARGUMENT")
        .hasMessageContaining("ModelInferRequest");
    assertThat(wire.detachedTo.closes).hasValue(1);
  }

  /** grpc-java's lending stream in miniature: direct buffers, mark/reset, detach, close. */
  static final class LendingStream extends InputStream
      implements KnownLength, Detachable, HasByteBuffer {
    final List<ByteBuffer> buffers;
    final AtomicInteger closes = new AtomicInteger();
    LendingStream detachedTo;
    private int index;
    private int markIndex;
    private int markPosition;

    private LendingStream(List<ByteBuffer> buffers) {
      this.buffers = buffers;
    }

    static LendingStream of(byte[] bytes, int chunk) {
      List<ByteBuffer> out = new ArrayList<>();
      for (int at = 0; at < bytes.length; at += chunk) {
        int n = Math.min(chunk, bytes.length - at);
        out.add(ByteBuffer.allocateDirect(n).put(bytes, at, n).flip());
      }
      return new LendingStream(out);
    }

    @Override
    public int available() {
      int n = 0;
      for (int i = index; i < buffers.size(); i++) {
        n += buffers.get(i).remaining();
      }
      return n;
    }

    @Override
    public int read() {
      while (index < buffers.size() && !buffers.get(index).hasRemaining()) {
        index++;
      }
      return index == buffers.size() ? -1 : buffers.get(index).get() & 0xff;
    }

    @Override
    public long skip(long n) {
      long left = n;
      while (left > 0 && index < buffers.size()) {
        ByteBuffer b = buffers.get(index);
        int k = (int) Math.min(left, b.remaining());
        b.position(b.position() + k);
        left -= k;
        if (!b.hasRemaining()) {
          index++;
        }
      }
      return n - left;
    }

    @Override
    public boolean markSupported() {
      return true;
    }

    @Override
    public void mark(int limit) {
      markIndex = index;
      markPosition = index < buffers.size() ? buffers.get(index).position() : 0;
      for (int i = index + 1; i < buffers.size(); i++) {
        buffers.get(i).mark();
      }
    }

    @Override
    public void reset() {
      for (int i = markIndex + 1; i < buffers.size(); i++) {
        buffers.get(i).position(0);
      }
      index = markIndex;
      if (index < buffers.size()) {
        buffers.get(index).position(markPosition);
      }
    }

    @Override
    public boolean byteBufferSupported() {
      return true;
    }

    @Override
    public ByteBuffer getByteBuffer() {
      return buffers.get(index).slice();
    }

    @Override
    public InputStream detach() {
      detachedTo = new LendingStream(new ArrayList<>(buffers.subList(index, buffers.size())));
      buffers.clear();
      index = 0;
      return detachedTo;
    }

    @Override
    public void close() {
      closes.incrementAndGet();
    }
  }
}
