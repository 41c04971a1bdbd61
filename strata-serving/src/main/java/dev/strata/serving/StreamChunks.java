package dev.strata.serving;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.stream.ChunkedInput;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * A {@link StreamedBody} as full-size chunks for Netty's chunked writer. Unlike Netty's own
 * ChunkedStream it does not size chunks by {@code available()} (which many streams answer with 0 or
 * 1), and it yields exactly the declared length: a stream that ends early fails the write with an
 * {@link EOFException} instead of leaving the client waiting for bytes that never come.
 */
final class StreamChunks implements ChunkedInput<ByteBuf> {
  private final InputStream in;
  private final long length;
  private final int chunkSize;
  private long offset;

  StreamChunks(StreamedBody body, int chunkSize) {
    this.in = body.stream();
    this.length = body.length();
    this.chunkSize = chunkSize;
  }

  @Override
  public boolean isEndOfInput() {
    return offset >= length;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  @Deprecated
  @Override
  public ByteBuf readChunk(ChannelHandlerContext ctx) throws IOException {
    return readChunk(ctx.alloc());
  }

  @Override
  public ByteBuf readChunk(ByteBufAllocator allocator) throws IOException {
    if (offset >= length) {
      return null;
    }
    int n = (int) Math.min(chunkSize, length - offset);
    ByteBuf buf = allocator.heapBuffer(n);
    boolean done = false;
    try {
      int read = 0;
      while (read < n) {
        int r = buf.writeBytes(in, n - read);
        if (r < 0) {
          throw new EOFException(
              (length - offset - read) + " bytes of the response body missing: its stream ended");
        }
        read += r;
      }
      offset += n;
      done = true;
      return buf;
    } finally {
      if (!done) {
        buf.release();
      }
    }
  }

  @Override
  public long length() {
    return length;
  }

  @Override
  public long progress() {
    return offset;
  }
}
