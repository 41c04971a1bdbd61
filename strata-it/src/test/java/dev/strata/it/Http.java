package dev.strata.it;

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

/** Plain HTTP probes of the processes under test. */
final class Http {
  /** How long one inference or probe may take before it counts as failed. */
  static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

  private Http() {}

  /** Whether {@code GET uri} answers 200; false while nothing listens there. */
  static boolean ok(HttpClient http, URI uri) {
    try {
      return http.send(
                  HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).GET().build(),
                  HttpResponse.BodyHandlers.discarding())
              .statusCode()
          == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The status of {@code GET uri} without credentials. */
  static int status(HttpClient http, URI uri) {
    try {
      return http.send(
              HttpRequest.newBuilder(uri).timeout(CALL_TIMEOUT).GET().build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      throw new UncheckedIOException("GET " + uri + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + uri, e);
    }
  }

  /** {@code GET uri} as JSON; fails on another status than 200. */
  static JsonNode json(HttpClient http, URI uri) {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(uri).timeout(CALL_TIMEOUT).GET().build(),
              HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      if (r.statusCode() != 200) {
        throw new AssertionError(
            "GET " + uri + ": expected 200 but got " + r.statusCode() + ": " + r.body());
      }
      return Json.mapper().readTree(r.body());
    } catch (IOException e) {
      throw new UncheckedIOException("GET " + uri + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + uri, e);
    }
  }
}
