package dev.strata.serving;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The body of a streaming request as an {@link InputStream}: the connection's event loop offers
 * chunks, the handler's thread reads them. Back-pressure: once {@code highWater} bytes wait unread,
 * the connection stops reading from the socket (auto-read off), so TCP flow control slows the
 * client; it resumes when the reader has brought the backlog under {@code lowWater}.
 */
final class RequestBodyStream extends InputStream {
  private final Channel channel;
  private final int highWater;
  private final int lowWater;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<ByteBuf> chunks = new ArrayDeque<>();
  private long buffered;
  private boolean ended;
  private boolean finished;
  private boolean paused;
  private IOException failure;

  RequestBodyStream(Channel channel, int highWater, int lowWater) {
    this.channel = channel;
    this.highWater = highWater;
    this.lowWater = lowWater;
  }

  // ---- the event loop's side

  /** Queues a chunk (taking ownership of it); drops it when the reader is gone. */
  void offer(ByteBuf chunk) {
    lock.lock();
    try {
      if (finished || failure != null) {
        chunk.release();
        return;
      }
      chunks.add(chunk);
      buffered += chunk.readableBytes();
      if (buffered >= highWater && !paused) {
        paused = true;
        channel.config().setAutoRead(false);
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** The body is complete: the reader gets end-of-stream after the queued chunks. */
  void end() {
    lock.lock();
    try {
      ended = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** The body will not complete (the connection closed or sent garbage): reads throw. */
  void fail(IOException cause) {
    lock.lock();
    try {
      if (!ended && failure == null) {
        failure = cause;
      }
      releaseChunks();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Whether the handler has stopped reading (returned or closed the stream). */
  boolean finished() {
    lock.lock();
    try {
      return finished;
    } finally {
      lock.unlock();
    }
  }

  // ---- the reader's side

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return 0;
    }
    lock.lock();
    try {
      while (chunks.isEmpty() && !ended && failure == null && !finished) {
        changed.awaitUninterruptibly();
      }
      if (failure != null) {
        throw new IOException(failure.getMessage(), failure);
      }
      if (finished) {
        throw new IOException("request body stream is closed");
      }
      if (chunks.isEmpty()) {
        return -1;
      }
      ByteBuf head = chunks.peek();
      int n = Math.min(len, head.readableBytes());
      head.readBytes(b, off, n);
      buffered -= n;
      if (!head.isReadable()) {
        chunks.poll().release();
      }
      if (paused && buffered <= lowWater) {
        paused = false;
        resumeReading();
      }
      return n;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public int available() {
    lock.lock();
    try {
      return (int) Math.min(Integer.MAX_VALUE, buffered);
    } finally {
      lock.unlock();
    }
  }

  /**
   * The handler is done with the body: what is queued is dropped, and the rest of the body will be
   * read and dropped as it arrives.
   */
  @Override
  public void close() {
    lock.lock();
    try {
      if (finished) {
        return;
      }
      finished = true;
      releaseChunks();
      if (paused) {
        paused = false;
        resumeReading();
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void resumeReading() {
    channel
        .eventLoop()
        .execute(
            () -> {
              channel.config().setAutoRead(true);
              channel.read();
            });
  }

  private void releaseChunks() {
    ByteBuf c;
    while ((c = chunks.poll()) != null) {
      c.release();
    }
    buffered = 0;
  }
}
