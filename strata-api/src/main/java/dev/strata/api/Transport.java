package dev.strata.api;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.control.Json;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;

/**
 * The HTTP side of {@link CloudApiClient}: JSON bodies through strata-control's JSON mapping, the
 * bearer token, and the cloud's error object ({@code {"error": ..., "code": ...}}) turned back into
 * a {@link StrataException}. Copies made by {@link #withToken} share the HTTP client (its
 * connections) and the download watchdog; only the original closes them.
 */
final class Transport implements AutoCloseable {
  private static final int MAX_ERROR_TEXT = 512;

  private final URI base;
  private final Optional<String> token;
  private final Duration timeout;
  private final HttpClient client;
  private final Watchdog watchdog;
  private final boolean owner;

  Transport(
      URI base,
      Optional<String> token,
      Duration timeout,
      Duration connectTimeout,
      Optional<SSLContext> ssl,
      Optional<Executor> executor) {
    this.base = URI.create(base.toString().replaceAll("/+$", ""));
    this.token = token;
    this.timeout = timeout;
    // The cloud speaks HTTP/1.1; without this the JDK would try an h2c upgrade on every call.
    HttpClient.Builder b =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(connectTimeout)
            .followRedirects(HttpClient.Redirect.NEVER);
    ssl.ifPresent(b::sslContext);
    executor.ifPresent(b::executor);
    this.client = b.build();
    this.watchdog = new Watchdog();
    this.owner = true;
  }

  private Transport(Transport shared, Optional<String> token) {
    this.base = shared.base;
    this.token = token;
    this.timeout = shared.timeout;
    this.client = shared.client;
    this.watchdog = shared.watchdog;
    this.owner = false;
  }

  /** The same connections with another bearer token. */
  Transport withToken(String value) {
    return new Transport(this, Optional.of(value));
  }

  URI base() {
    return base;
  }

  Duration timeout() {
    return timeout;
  }

  Watchdog watchdog() {
    return watchdog;
  }

  /** A JSON call; {@code body} null sends none; {@code Void} answers are not read. */
  <T> T call(String method, String path, Object body, Class<T> type) {
    return read(method, path, send(method, path, json(method, path, body).build()), type);
  }

  /** {@link #call} without waiting: the future fails with the same {@link StrataException}s. */
  <T> CompletableFuture<T> callAsync(String method, String path, Object body, Class<T> type) {
    return sendAsync(method, path, json(method, path, body).build())
        .thenApply(r -> read(method, path, r, type));
  }

  /** A JSON request, ready for more headers. */
  HttpRequest.Builder json(String method, String path, Object body) {
    HttpRequest.BodyPublisher publisher =
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(Json.writeBytes(body));
    HttpRequest.Builder b =
        request(path).header("Accept", "application/json").method(method, publisher);
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    return b;
  }

  /** A body of another content type (uploads, multipart). */
  <T> T upload(
      String path,
      String contentType,
      HttpRequest.BodyPublisher body,
      Map<String, String> headers,
      Class<T> type) {
    HttpRequest.Builder b =
        request(path)
            .header("Accept", "application/json")
            .header("Content-Type", contentType)
            .POST(body);
    headers.forEach(b::header);
    return read("POST", path, send("POST", path, b.build()), type);
  }

  /** A {@code GET} whose answer is bytes, not JSON. */
  byte[] bytes(String path) {
    HttpResponse<byte[]> r = send("GET", path, request(path).GET().build());
    if (r.statusCode() / 100 != 2) {
      throw error("GET", path, r.statusCode(), r.body());
    }
    return r.body();
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
      throw error("HEAD", path, r.statusCode(), r.body());
    }
    return true;
  }

  /** A request to {@code path} with the timeout and the bearer token. */
  HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout);
    token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
    return b;
  }

  HttpResponse<byte[]> send(String method, String path, HttpRequest request) {
    return send(method, path, request, HttpResponse.BodyHandlers.ofByteArray());
  }

  /** A response whose body is read as it arrives; the caller closes it. */
  HttpResponse<InputStream> stream(String path, HttpRequest request) {
    return send("GET", path, request, HttpResponse.BodyHandlers.ofInputStream());
  }

  private <B> HttpResponse<B> send(
      String method, String path, HttpRequest request, HttpResponse.BodyHandler<B> body) {
    try {
      return client.send(request, body);
    } catch (IOException e) {
      throw unreachable(method, path, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StrataException(
          ErrorCode.CANCELLED, method + " " + base + path + ": interrupted", e);
    }
  }

  CompletableFuture<HttpResponse<byte[]>> sendAsync(
      String method, String path, HttpRequest request) {
    return client
        .sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
        .exceptionally(
            failure -> {
              Throwable cause =
                  failure instanceof CompletionException && failure.getCause() != null
                      ? failure.getCause()
                      : failure;
              if (cause instanceof IOException io) {
                throw unreachable(method, path, io);
              }
              throw failure instanceof CompletionException c ? c : new CompletionException(cause);
            });
  }

  /** Why the cloud gave no answer: UNAVAILABLE, or DEADLINE_EXCEEDED after the timeout. */
  private StrataException unreachable(String method, String path, IOException e) {
    return switch (e) {
      case HttpConnectTimeoutException t ->
          new StrataException(
              ErrorCode.UNAVAILABLE,
              "cloud " + base + ": connect timed out (" + method + " " + path + ")",
              e);
      case HttpTimeoutException t ->
          new StrataException(
              ErrorCode.DEADLINE_EXCEEDED,
              method + " " + base + path + ": no answer within " + timeout,
              e);
      case ConnectException c ->
          new StrataException(
              ErrorCode.UNAVAILABLE, "cloud " + base + ": cannot connect (" + describe(e) + ")", e);
      default ->
          new StrataException(
              ErrorCode.UNAVAILABLE, method + " " + base + path + ": " + describe(e), e);
    };
  }

  static <T> T read(String method, String path, HttpResponse<byte[]> r, Class<T> type) {
    if (r.statusCode() / 100 != 2) {
      throw error(method, path, r.statusCode(), r.body());
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

  /** A {@code GET} of a list: the answer's {@code items}. */
  <T> List<T> items(String path, Class<T> type) {
    JsonNode body = call("GET", path, null, JsonNode.class);
    JsonNode items = body.get("items");
    if (items == null || !items.isArray()) {
      throw StrataException.internal(
          "GET " + path + ": answer without an items list", new IllegalStateException());
    }
    JavaType listType = Json.mapper().getTypeFactory().constructCollectionType(List.class, type);
    try {
      return Json.mapper().convertValue(items, listType);
    } catch (IllegalArgumentException e) {
      throw StrataException.internal("GET " + path + ": unexpected answer", e);
    }
  }

  /** The cloud's error object as a StrataException; the status alone when the body is not one. */
  static StrataException error(String method, String path, int status, byte[] answer) {
    byte[] body = answer == null ? new byte[0] : answer;
    try {
      JsonNode json = Json.mapper().readTree(body);
      if (json != null && json.hasNonNull("error")) {
        ErrorCode code = ErrorCode.fromHttpStatus(status);
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
    String text = new String(body, StandardCharsets.UTF_8).strip();
    if (text.length() > MAX_ERROR_TEXT) {
      text = text.substring(0, MAX_ERROR_TEXT) + "...";
    }
    return new StrataException(
        ErrorCode.fromHttpStatus(status),
        method + " " + path + ": HTTP " + status + (text.isEmpty() ? "" : " " + text));
  }

  private static String describe(IOException e) {
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  @Override
  public void close() {
    if (owner) {
      watchdog.close();
      client.shutdownNow(); // the calls that used it have ended: nothing to wait for
    }
  }
}
