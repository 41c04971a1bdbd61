package dev.strata.serving;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * A response a route handler returns: status, content type, extra headers and the body as a list of
 * buffers written in order without copying.
 */
public record HttpResult(
    int status, String contentType, Map<String, String> headers, List<ByteBuffer> body) {
  public static final String JSON = "application/json";
  public static final String OCTET_STREAM = "application/octet-stream";
  public static final String TEXT = "text/plain; charset=utf-8";

  public HttpResult {
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("status: " + status + " (expected: 100-599)");
    }
    requireNonNull(contentType, "contentType");
    headers = Map.copyOf(headers);
    body = List.copyOf(body);
  }

  public static HttpResult json(int status, byte[] body) {
    return new HttpResult(status, JSON, Map.of(), List.of(ByteBuffer.wrap(body)));
  }

  public static HttpResult text(int status, String body) {
    return new HttpResult(
        status, TEXT, Map.of(), List.of(ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8))));
  }

  /** The total body length in bytes. */
  public int contentLength() {
    int n = 0;
    for (ByteBuffer b : body) {
      n += b.remaining();
    }
    return n;
  }
}
