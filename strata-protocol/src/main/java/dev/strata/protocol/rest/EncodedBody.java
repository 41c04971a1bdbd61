package dev.strata.protocol.rest;

import static java.util.Objects.requireNonNull;

import dev.strata.protocol.OipNames;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * An HTTP body in parts, so that a transport can send it without joining them (e.g. Netty's {@code
 * Unpooled.wrappedBuffer(json, binary...)}): the JSON, then the binary tensor data, if any. The
 * binary parts are read-only views of the tensors' data, not copies.
 *
 * <p>Immutable: the accessors return fresh views, so a body can be sent many times, also from
 * several threads.
 *
 * @param json the JSON part, position to limit
 * @param binary the binary tensor data that follows the JSON, in order; empty for a JSON-only body
 */
public record EncodedBody(ByteBuffer json, List<ByteBuffer> binary) {
  public EncodedBody {
    json = requireNonNull(json, "json").slice().asReadOnlyBuffer();
    List<ByteBuffer> parts = new ArrayList<>(binary.size());
    for (ByteBuffer b : binary) {
      parts.add(b.slice().asReadOnlyBuffer());
    }
    binary = List.copyOf(parts);
  }

  /** The JSON part, a fresh read-only view. */
  @Override
  public ByteBuffer json() {
    return json.duplicate();
  }

  /** The binary parts, fresh read-only views. */
  @Override
  public List<ByteBuffer> binary() {
    if (binary.isEmpty()) {
      return binary;
    }
    List<ByteBuffer> views = new ArrayList<>(binary.size());
    for (ByteBuffer b : binary) {
      views.add(b.duplicate());
    }
    return views;
  }

  /** {@code application/octet-stream} when binary data follows the JSON, else JSON's. */
  public String contentType() {
    return binary.isEmpty() ? OipNames.CONTENT_TYPE_JSON : OipNames.CONTENT_TYPE_BINARY;
  }

  /**
   * The value of the {@code Inference-Header-Content-Length} header: the JSON's length, present
   * only when binary data follows it.
   */
  public OptionalInt inferenceHeaderContentLength() {
    return binary.isEmpty() ? OptionalInt.empty() : OptionalInt.of(json.remaining());
  }

  /** The whole body's length, for {@code Content-Length}. */
  public long contentLength() {
    long n = json.remaining();
    for (ByteBuffer b : binary) {
      n += b.remaining();
    }
    return n;
  }

  /** The body in one array (a copy; transports that can send parts should). */
  public byte[] toByteArray() {
    long n = contentLength();
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException("body of " + n + " bytes does not fit an array");
    }
    ByteBuffer out = ByteBuffer.allocate((int) n);
    out.put(json.duplicate());
    for (ByteBuffer b : binary) {
      out.put(b.duplicate());
    }
    return out.array();
  }

  /** Writes the body to a stream. */
  public void writeTo(OutputStream out) throws IOException {
    write(json, out);
    for (ByteBuffer b : binary) {
      write(b, out);
    }
  }

  private static void write(ByteBuffer b, OutputStream out) throws IOException {
    ByteBuffer d = b.duplicate();
    if (d.hasArray()) {
      out.write(d.array(), d.arrayOffset() + d.position(), d.remaining());
      return;
    }
    byte[] chunk = new byte[Math.min(d.remaining(), 64 * 1024)];
    while (d.hasRemaining()) {
      int n = Math.min(chunk.length, d.remaining());
      d.get(chunk, 0, n);
      out.write(chunk, 0, n);
    }
  }
}
