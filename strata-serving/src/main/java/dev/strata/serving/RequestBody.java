package dev.strata.serving;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A request body received in full. The server hands a handler the pooled network buffers the body
 * arrived in, without copying them, and holds them until the handler's stage completes (answered,
 * failed or cancelled); then they go back to the pool.
 *
 * <ul>
 *   <li>{@link #bytes()} gives the body as one array-backed buffer the handler may keep: a copy,
 *       made on the first call. Call it before the stage can complete: on the thread the handler is
 *       called on, before handing work to another thread.
 *   <li>{@link #buffers()} gives views of the network buffers themselves, valid only while a
 *       reference is held: the server's until the stage completes, or one the handler takes with
 *       {@link #retain()} for work that outlives it (a runtime reading the tensors in place).
 * </ul>
 *
 * Reading a body after its last reference has gone fails with {@link IllegalStateException}; it
 * never reads memory that may belong to another request.
 */
public final class RequestBody {
  private static final ByteBuffer NO_BYTES = ByteBuffer.allocate(0);
  static final RequestBody EMPTY = new RequestBody(null, NO_BYTES);

  private final ByteBuf pooled;
  private ByteBuffer bytes;

  private RequestBody(ByteBuf pooled, ByteBuffer bytes) {
    this.pooled = pooled;
    this.bytes = bytes;
  }

  /** A body that owns {@code bytes} (the remaining ones): for tests and in-process callers. */
  public static RequestBody of(ByteBuffer bytes) {
    ByteBuffer b = requireNonNull(bytes, "bytes");
    if (!b.hasArray()) {
      ByteBuffer copy = ByteBuffer.allocate(b.remaining());
      copy.put(b.duplicate()).flip();
      b = copy;
    }
    return new RequestBody(null, b.slice());
  }

  /** A body over network buffers; it takes over the caller's reference to {@code buf}. */
  static RequestBody pooled(ByteBuf buf) {
    return new RequestBody(requireNonNull(buf, "buf"), null);
  }

  /** The body's length in bytes. */
  public int length() {
    return pooled != null ? pooled.readableBytes() : bytes.remaining();
  }

  /**
   * The body in an array-backed buffer that the handler reads but must not modify (empty when there
   * is none). Network buffers are copied once, on the first call.
   *
   * @throws IllegalStateException when the request has completed and the body is gone
   */
  public synchronized ByteBuffer bytes() {
    if (bytes == null) {
      checkHeld();
      bytes = ByteBuffer.wrap(ByteBufUtil.getBytes(pooled));
    }
    return bytes.duplicate();
  }

  /**
   * Views of the buffers the body lies in, their remaining bytes in order: no copy. Valid while the
   * server holds the body (until the handler's stage completes) or a {@link #retain()} is held.
   *
   * @throws IllegalStateException when the request has completed and the body is gone
   */
  public List<ByteBuffer> buffers() {
    if (pooled == null) {
      return List.of(bytes.duplicate());
    }
    checkHeld();
    if (!pooled.isReadable()) {
      return List.of(NO_BYTES);
    }
    return Arrays.asList(pooled.nioBuffers());
  }

  /**
   * Keeps the network buffers for work that outlives the handler's stage: they stay valid until the
   * returned action runs (once; later runs do nothing), which whoever reads them last must do.
   *
   * @throws IllegalStateException when the request has completed and the body is gone
   */
  public Runnable retain() {
    if (pooled == null) {
      return () -> {};
    }
    try {
      pooled.retain();
    } catch (io.netty.util.IllegalReferenceCountException e) {
      throw gone();
    }
    AtomicBoolean released = new AtomicBoolean();
    return () -> {
      if (released.compareAndSet(false, true)) {
        pooled.release();
      }
    };
  }

  /** The server's reference, dropped when the handler's stage has completed. */
  void release() {
    if (pooled != null) {
      pooled.release();
    }
  }

  private void checkHeld() {
    if (pooled.refCnt() == 0) {
      throw gone();
    }
  }

  private static IllegalStateException gone() {
    return new IllegalStateException(
        "the request body was read after its request completed (read it with bytes() before"
            + " handing work to another thread, or retain() it)");
  }
}
