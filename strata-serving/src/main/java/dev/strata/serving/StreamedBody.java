package dev.strata.serving;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;

/**
 * A response body written from a stream while the response goes out, for bodies too large to hold
 * in memory (artifact downloads, exports). The server reads it in chunks as the connection can take
 * them and closes it when done, when the client goes away, or at once for a HEAD request. A stream
 * that ends before {@code length} bytes closes the connection, so a client never takes a short body
 * for a whole one.
 *
 * @param length the exact number of bytes the stream yields ({@code Content-Length})
 * @param stream the bytes
 */
public record StreamedBody(long length, InputStream stream) implements AutoCloseable {
  public StreamedBody {
    if (length < 0) {
      throw new IllegalArgumentException("length: " + length + " (expected: >= 0)");
    }
    requireNonNull(stream, "stream");
  }

  @Override
  public void close() {
    try {
      stream.close();
    } catch (IOException ignored) {
      // Nothing was promised about a stream the server has finished with.
    }
  }
}
