package dev.strata.protocol.rest;

import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A growable byte array the JSON generator writes into; {@link #toByteBuffer()} hands the bytes out
 * without the final copy {@code ByteArrayOutputStream.toByteArray()} would make.
 */
final class ByteOutput extends OutputStream {
  private byte[] buf;
  private int size;

  ByteOutput(int initialCapacity) {
    buf = new byte[Math.max(64, initialCapacity)];
  }

  @Override
  public void write(int b) {
    ensure(1);
    buf[size++] = (byte) b;
  }

  @Override
  public void write(byte[] b, int off, int len) {
    ensure(len);
    System.arraycopy(b, off, buf, size, len);
    size += len;
  }

  private void ensure(int more) {
    int needed = size + more;
    if (needed < 0) {
      throw new OutOfMemoryError("JSON body over 2 GiB");
    }
    if (needed > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(needed, buf.length < (1 << 29) ? buf.length * 2 : needed));
    }
  }

  int size() {
    return size;
  }

  /** The bytes written so far, sharing this output's array. */
  ByteBuffer toByteBuffer() {
    return ByteBuffer.wrap(buf, 0, size);
  }

  /** A copy of the bytes written, trimmed to size. */
  byte[] toByteArray() {
    return buf.length == size ? buf : Arrays.copyOf(buf, size);
  }
}
