package dev.strata.protocol.grpc;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.Detachable;
import io.grpc.HasByteBuffer;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@code ModelInfer} request as a server received it, parsed without copying its tensor data: the
 * message's {@code raw_input_contents} (and other bytes fields) are views of the network buffers it
 * arrived in, which this object holds until {@link #close()}. Where the transport does not lend its
 * buffers, the message is parsed the usual way (a copy) and closing does nothing.
 *
 * <p>The owner closes it once nothing reads the message any more: after the runtime has released
 * the request's inputs, or at once when the call ends before that.
 */
public final class ReceivedInferRequest implements AutoCloseable {
  private static final MethodDescriptor.Marshaller<ModelInferRequest> COPYING =
      ProtoUtils.marshaller(ModelInferRequest.getDefaultInstance());
  private static final MethodDescriptor.Marshaller<ReceivedInferRequest> MARSHALLER =
      new Marshaller();

  private final ModelInferRequest message;
  private final InputStream buffers;
  private final AtomicBoolean closed = new AtomicBoolean();

  private ReceivedInferRequest(ModelInferRequest message, InputStream buffers) {
    this.message = requireNonNull(message, "message");
    this.buffers = buffers;
  }

  /** A request that owns its data (tests, clients): closing it does nothing. */
  public static ReceivedInferRequest of(ModelInferRequest message) {
    return new ReceivedInferRequest(message, null);
  }

  /**
   * The request marshaller of a server's {@code ModelInfer} method: it parses with aliasing over
   * the buffers grpc-java lends it (detached from the call, so they outlive the callback).
   */
  public static MethodDescriptor.Marshaller<ReceivedInferRequest> marshaller() {
    return MARSHALLER;
  }

  /** The message; its bytes fields are valid until {@link #close()}. */
  public ModelInferRequest message() {
    return message;
  }

  /** Whether the message's bytes are views of network buffers (false: copies it owns). */
  public boolean aliased() {
    return buffers != null;
  }

  /** Hands the buffers back; only the first call does anything. Thread-safe. */
  @Override
  public void close() {
    if (buffers != null && closed.compareAndSet(false, true)) {
      try {
        buffers.close();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  private static final class Marshaller
      implements MethodDescriptor.PrototypeMarshaller<ReceivedInferRequest> {
    @Override
    public InputStream stream(ReceivedInferRequest value) {
      return COPYING.stream(value.message);
    }

    @Override
    public ReceivedInferRequest parse(InputStream stream) {
      if (!(stream instanceof KnownLength
          && stream instanceof Detachable detachable
          && stream instanceof HasByteBuffer lending
          && lending.byteBufferSupported())) {
        return new ReceivedInferRequest(COPYING.parse(stream), null);
      }
      InputStream detached = detachable.detach();
      try {
        return new ReceivedInferRequest(parseAliased(detached), detached);
      } catch (IOException | RuntimeException e) {
        closeQuietly(detached);
        throw Status.INVALID_ARGUMENT
            .withDescription("ModelInferRequest: not a valid protobuf message: " + e.getMessage())
            .withCause(e)
            .asRuntimeException();
      }
    }

    /**
     * Parses the detached stream's buffers in place. The mark keeps every buffer while they are
     * walked (skipping would release the ones passed); the reset leaves them all held.
     */
    private static ModelInferRequest parseAliased(InputStream in) throws IOException {
      int size = in.available();
      in.mark(size);
      List<ByteString> parts = new ArrayList<>();
      while (in.available() != 0) {
        ByteBuffer b = ((HasByteBuffer) in).getByteBuffer();
        parts.add(UnsafeByteOperations.unsafeWrap(b));
        long skipped = in.skip(b.remaining());
        if (skipped != b.remaining()) {
          throw new IOException("skipped " + skipped + " of " + b.remaining() + " bytes");
        }
      }
      in.reset();
      CodedInputStream coded = ByteString.copyFrom(parts).newCodedInput();
      coded.enableAliasing(true);
      coded.setSizeLimit(Integer.MAX_VALUE);
      ModelInferRequest message = ModelInferRequest.parseFrom(coded);
      try {
        coded.checkLastTagWas(0);
      } catch (InvalidProtocolBufferException e) {
        throw e.setUnfinishedMessage(message);
      }
      return message;
    }

    @Override
    public ReceivedInferRequest getMessagePrototype() {
      return new ReceivedInferRequest(ModelInferRequest.getDefaultInstance(), null);
    }

    @Override
    public Class<ReceivedInferRequest> getMessageClass() {
      return ReceivedInferRequest.class;
    }

    private static void closeQuietly(InputStream in) {
      try {
        in.close();
      } catch (IOException | RuntimeException ignored) {
        // already failing for a better reason
      }
    }
  }
}
