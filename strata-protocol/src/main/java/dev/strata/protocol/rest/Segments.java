package dev.strata.protocol.rest;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary part of a body: bytes that may lie in several buffers (as they arrived from the
 * network), sliced into tensors' data without copying.
 */
final class Segments {
  private final List<ByteBuffer> parts;
  private final long length;

  private Segments(List<ByteBuffer> parts, long length) {
    this.parts = parts;
    this.length = length;
  }

  /** The bytes of {@code body[offset, offset + length)}. */
  static Segments of(byte[] body, int offset, int length) {
    return new Segments(List.of(ByteBuffer.wrap(body, offset, length)), length);
  }

  /** The remaining bytes of {@code buffers}, from {@code skip} bytes in. */
  static Segments of(List<ByteBuffer> buffers, long skip) {
    List<ByteBuffer> parts = new ArrayList<>(buffers.size());
    long length = 0;
    for (ByteBuffer b : buffers) {
      int n = b.remaining();
      if (skip >= n) {
        skip -= n;
        continue;
      }
      parts.add(b.slice(b.position() + (int) skip, n - (int) skip));
      length += n - skip;
      skip = 0;
    }
    return new Segments(parts, length);
  }

  long length() {
    return length;
  }

  /** Views of {@code size} bytes from {@code at}, one per buffer they lie in. */
  List<ByteBuffer> slice(long at, int size) {
    List<ByteBuffer> out = new ArrayList<>(1);
    long start = 0;
    int left = size;
    for (ByteBuffer b : parts) {
      int n = b.remaining();
      if (left == 0) {
        break;
      }
      if (at < start + n) {
        int from = (int) Math.max(0, at - start);
        int take = Math.min(n - from, left);
        out.add(b.slice(b.position() + from, take));
        left -= take;
        at += take;
      }
      start += n;
    }
    if (out.isEmpty()) {
      out.add(ByteBuffer.allocate(0));
    }
    return out;
  }
}
