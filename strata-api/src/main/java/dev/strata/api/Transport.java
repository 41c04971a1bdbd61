package dev.strata.api;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.control.Json;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * The HTTP side of {@link CloudApiClient}: JSON bodies through the registry's JSON mapping, the
 * bearer token, and the cloud's error object ({@code {"error": ..., "code": ...}}) turned back into
 * a {@link StrataException}.
 */
final class Transport implements AutoCloseable {
  private static final int MAX_ERROR_TEXT = 512;

  private final URI base;
  private final Optional<String> token;
  private final Duration timeout;
  private final HttpClient client;

  Transport(
      URI base,
      Optional<String> token,
      Duration timeout,
      Duration connectTimeout,
      Optional<SSLContext> ssl) {
    this.base = URI.create(base.toString().replaceAll("/+$", ""));
    this.token = token;
    this.timeout = timeout;
    // The cloud speaks HTTP/1.1; without this the JDK would try an h2c upgrade on every call.
    HttpClient.Builder b =
        HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout);
    ssl.ifPresent(b::sslContext);
    this.client = b.build();
  }

  URI base() {
    return base;
  }

  /** A JSON call; {@code body} null sends none; {@code Void} answers are not read. */
  <T> T call(String method, String path, Object body, Class<T> type) {
    HttpRequest.BodyPublisher publisher =
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(Json.writeBytes(body));
    HttpRequest.Builder b = request(path).method(method, publisher);
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    return read(method, path, send(method, path, b.build()), type);
  }

  /** A streamed octet-stream upload. */
  <T> T upload(
      String path, HttpRequest.BodyPublisher body, Map<String, String> headers, Class<T> type) {
    HttpRequest.Builder b =
        request(path).header("Content-Type", "application/octet-stream").POST(body);
    headers.forEach(b::header);
    return read("POST", path, send("POST", path, b.build()), type);
  }

  /** {@code HEAD}: true on 2xx, false on 404, the error otherwise. */
  boolean head(String path) {
    HttpResponse<byte[]> r =
        send(
            "HEAD",
            path,
            request(path).method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
    if (r.statusCode() == 404) {
      return false;
    }
    if (r.statusCode() / 100 != 2) {
      throw error("HEAD", path, r);
    }
    return true;
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout);
    b.header("Accept", "application/json");
    token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
    return b;
  }

  private HttpResponse<byte[]> send(String method, String path, HttpRequest request) {
    try {
      return client.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (HttpConnectTimeoutException e) {
      throw new StrataException(
          ErrorCode.UNAVAILABLE,
          "cloud " + base + ": connect timed out (" + method + " " + path + ")",
          e);
    } catch (HttpTimeoutException e) {
      throw new StrataException(
          ErrorCode.DEADLINE_EXCEEDED,
          method + " " + base + path + ": no answer within " + timeout,
          e);
    } catch (ConnectException e) {
      throw new StrataException(
          ErrorCode.UNAVAILABLE, "cloud " + base + ": cannot connect (" + describe(e) + ")", e);
    } catch (IOException e) {
      throw new StrataException(
          ErrorCode.UNAVAILABLE, method + " " + base + path + ": " + describe(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StrataException(
          ErrorCode.CANCELLED, method + " " + base + path + ": interrupted", e);
    }
  }

  private static <T> T read(String method, String path, HttpResponse<byte[]> r, Class<T> type) {
    if (r.statusCode() / 100 != 2) {
      throw error(method, path, r);
    }
    if (type == Void.class) {
      return null;
    }
    try {
      return Json.mapper().readValue(r.body(), type);
    } catch (IOException e) {
      throw StrataException.internal(
          method + " " + path + ": the cloud's answer is not a " + type.getSimpleName(), e);
    }
  }

  static <T> T convert(JsonNode node, JavaType type, String what) {
    try {
      return Json.mapper().convertValue(node, type);
    } catch (IllegalArgumentException e) {
      throw StrataException.internal(what + ": unexpected answer", e);
    }
  }

  /** The cloud's error object as a StrataException; the status alone when the body is not one. */
  static StrataException error(String method, String path, HttpResponse<byte[]> r) {
    byte[] body = r.body() == null ? new byte[0] : r.body();
    try {
      JsonNode json = Json.mapper().readTree(body);
      if (json != null && json.hasNonNull("error")) {
        ErrorCode code = ErrorCode.fromHttpStatus(r.statusCode());
        if (json.hasNonNull("code")) {
          try {
            code = ErrorCode.valueOf(json.get("code").asText());
          } catch (IllegalArgumentException unknown) {
            // a code this client does not know: the status says enough
          }
        }
        return new StrataException(code, json.get("error").asText());
      }
    } catch (IOException notJson) {
      // answered below with the status and the start of the body
    }
    String text = new String(body, java.nio.charset.StandardCharsets.UTF_8).strip();
    if (text.length() > MAX_ERROR_TEXT) {
      text = text.substring(0, MAX_ERROR_TEXT) + "...";
    }
    return new StrataException(
        ErrorCode.fromHttpStatus(r.statusCode()),
        method + " " + path + ": HTTP " + r.statusCode() + (text.isEmpty() ? "" : " " + text));
  }

  private static String describe(IOException e) {
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  @Override
  public void close() {
    client.close();
  }
}
