package dev.strata.cloud;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.control.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** A small JSON client of the cloud's HTTP API for tests, with an optional bearer token. */
final class Api {
  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final URI base;
  private final Optional<String> token;

  Api(URI base, Optional<String> token) {
    this.base = base;
    this.token = token;
  }

  Api as(String newToken) {
    return new Api(base, Optional.ofNullable(newToken));
  }

  URI base() {
    return base;
  }

  /** A response with its body read as text. */
  record Response(int status, String body, java.net.http.HttpHeaders headers) {
    JsonNode json() {
      try {
        return Json.mapper().readTree(body);
      } catch (IOException e) {
        throw new UncheckedIOException("not JSON (" + status + "): " + body, e);
      }
    }

    Optional<String> header(String name) {
      return headers.firstValue(name);
    }
  }

  HttpRequest.Builder request(String path) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60));
    token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
    return b;
  }

  Response send(HttpRequest request) {
    try {
      HttpResponse<String> r =
          CLIENT.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new Response(r.statusCode(), r.body(), r.headers());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  Response call(String method, String path, Object body) {
    HttpRequest.BodyPublisher publisher =
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(
                body instanceof String s ? s : Json.write(body), StandardCharsets.UTF_8);
    return send(
        request(path).header("Content-Type", "application/json").method(method, publisher).build());
  }

  Response get(String path) {
    return call("GET", path, null);
  }

  Response post(String path, Object body) {
    return call("POST", path, body);
  }

  Response put(String path, Object body) {
    return call("PUT", path, body);
  }

  Response patch(String path, Object body) {
    return call("PATCH", path, body);
  }

  Response delete(String path) {
    return call("DELETE", path, null);
  }

  Response upload(byte[] bytes, Map<String, String> headers) {
    HttpRequest.Builder b =
        request("/api/v1/artifacts")
            .header("Content-Type", "application/octet-stream")
            .POST(HttpRequest.BodyPublishers.ofByteArray(bytes));
    headers.forEach(b::header);
    return send(b.build());
  }

  /** Asserts a status and returns the JSON body. */
  JsonNode expect(int status, Response r) {
    if (r.status() != status) {
      throw new AssertionError("expected " + status + " but got " + r.status() + ": " + r.body());
    }
    return r.body().isEmpty() ? Json.mapper().nullNode() : r.json();
  }
}
