package dev.strata.serving;

import static java.util.Objects.requireNonNull;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A response a route handler returns: status, content type, extra headers and the body, either as a
 * list of buffers written in order without copying, or as a {@link StreamedBody} read while it is
 * written (then {@code body} is empty).
 */
public record HttpResult(
    int status,
    String contentType,
    Map<String, String> headers,
    List<ByteBuffer> body,
    Optional<StreamedBody> stream,
    Optional<EventStream> events) {
  public static final String JSON = "application/json";
  public static final String OCTET_STREAM = "application/octet-stream";
  public static final String TEXT = "text/plain; charset=utf-8";
  public static final String EVENT_STREAM = "text/event-stream";

  public HttpResult {
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("status: " + status + " (expected: 100-599)");
    }
    requireNonNull(contentType, "contentType");
    headers = Map.copyOf(headers);
    body = List.copyOf(body);
    requireNonNull(stream, "stream");
    requireNonNull(events, "events");
    if ((stream.isPresent() || events.isPresent()) && !body.isEmpty()) {
      throw new IllegalArgumentException("a streamed result has no buffered body");
    }
    if (stream.isPresent() && events.isPresent()) {
      throw new IllegalArgumentException("a result streams a body or events, not both");
    }
  }

  /** A response with a buffered body or a streamed one. */
  public HttpResult(
      int status,
      String contentType,
      Map<String, String> headers,
      List<ByteBuffer> body,
      Optional<StreamedBody> stream) {
    this(status, contentType, headers, body, stream, Optional.empty());
  }

  /** A response with a buffered body. */
  public HttpResult(
      int status, String contentType, Map<String, String> headers, List<ByteBuffer> body) {
    this(status, contentType, headers, body, Optional.empty(), Optional.empty());
  }

  public static HttpResult json(int status, byte[] body) {
    return new HttpResult(status, JSON, Map.of(), List.of(ByteBuffer.wrap(body)));
  }

  public static HttpResult text(int status, String body) {
    return new HttpResult(
        status, TEXT, Map.of(), List.of(ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8))));
  }

  /**
   * A response whose body of exactly {@code length} bytes is read from {@code in} while it is
   * written; the server closes {@code in}.
   */
  public static HttpResult stream(
      int status, String contentType, Map<String, String> headers, long length, InputStream in) {
    return new HttpResult(
        status, contentType, headers, List.of(), Optional.of(new StreamedBody(length, in)));
  }

  /**
   * A response of server-sent events ({@code text/event-stream}, chunked) pushed through {@code
   * events} while it is written; see {@link EventStream}.
   */
  public static HttpResult events(int status, EventStream events) {
    return new HttpResult(
        status,
        EVENT_STREAM,
        Map.of("Cache-Control", "no-cache"),
        List.of(),
        Optional.empty(),
        Optional.of(events));
  }

  /** The length of the buffered body in bytes (0 for a streamed result: see {@link #length()}). */
  public int contentLength() {
    int n = 0;
    for (ByteBuffer b : body) {
      n += b.remaining();
    }
    return n;
  }

  /** The body's length in bytes: the buffers', or the stream's. */
  public long length() {
    return stream.isPresent() ? stream.get().length() : contentLength();
  }
}
