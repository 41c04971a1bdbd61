package dev.strata.cloud;

import static java.util.Objects.requireNonNull;

import dev.strata.serving.HttpResult;

/**
 * One management API endpoint: method, path pattern, who may call it, and the handler. The route
 * table is a list of these, so tests and the OpenAPI description enumerate every endpoint from the
 * same source as the router.
 *
 * @param streaming whether the handler reads the request body as it arrives (uploads) instead of
 *     receiving it whole
 */
record Endpoint(
    String method,
    String pattern,
    Access access,
    boolean streaming,
    String summary,
    Endpoint.Handler handler) {
  Endpoint {
    requireNonNull(method, "method");
    requireNonNull(pattern, "pattern");
    requireNonNull(access, "access");
    requireNonNull(summary, "summary");
    requireNonNull(handler, "handler");
  }

  /** Handles a call on a blocking thread (never a network thread): it may use the database. */
  @FunctionalInterface
  interface Handler {
    HttpResult handle(ApiRequest request) throws Exception;
  }
}
