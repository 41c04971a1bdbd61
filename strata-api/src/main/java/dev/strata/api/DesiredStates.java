package dev.strata.api;

import dev.strata.control.DesiredState;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;

/** The conditional {@code GET} of a node's desired state: 304 reads as empty. */
final class DesiredStates {
  static final String PATH = "/api/v1/nodes/self/desired-state";

  private DesiredStates() {}

  static HttpRequest request(Transport http, Optional<String> ifNoneMatch) {
    HttpRequest.Builder b = http.json("GET", PATH, null);
    ifNoneMatch.ifPresent(etag -> b.header("If-None-Match", "\"" + etag + "\""));
    return b.build();
  }

  static Optional<DesiredState> read(HttpResponse<byte[]> response) {
    if (response.statusCode() == 304) {
      return Optional.empty();
    }
    return Optional.of(Transport.read("GET", PATH, response, DesiredState.class));
  }
}
