package dev.strata.serving;

import static java.util.Objects.requireNonNull;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A route table: method + path pattern → handler. A pattern is a {@code /}-separated path whose
 * segments are literals, {@code {name}} parameters, or a parameter with a literal suffix such as
 * {@code {name}:promote} (Google-style custom methods), e.g. {@code /v2/models/{model}/infer}. The
 * first route added that matches wins, so add specific routes before general ones.
 *
 * <p>Most routes get the request body fully received ({@link HttpHandler}); a streaming route
 * ({@link #postStreaming}) gets it as a stream while it arrives, for bodies too large to hold in
 * memory.
 */
public final class HttpRoutes {
  private final List<Route> routes = new ArrayList<>();

  public static HttpRoutes create() {
    return new HttpRoutes();
  }

  public HttpRoutes get(String pattern, HttpHandler handler) {
    return add("GET", pattern, handler);
  }

  public HttpRoutes post(String pattern, HttpHandler handler) {
    return add("POST", pattern, handler);
  }

  public HttpRoutes put(String pattern, HttpHandler handler) {
    return add("PUT", pattern, handler);
  }

  public HttpRoutes delete(String pattern, HttpHandler handler) {
    return add("DELETE", pattern, handler);
  }

  public HttpRoutes add(String method, String pattern, HttpHandler handler) {
    routes.add(
        new Route(
            requireNonNull(method, "method"),
            segments(pattern),
            requireNonNull(handler, "handler"),
            null));
    return this;
  }

  /**
   * A POST route whose handler reads the body as it arrives, on the server's streaming executor,
   * with back-pressure (the connection stops reading while the handler is behind). The server's
   * {@code maxRequestBytes} does not apply: the handler enforces its own limit.
   */
  public HttpRoutes postStreaming(String pattern, StreamingHandler handler) {
    return addStreaming("POST", pattern, handler);
  }

  /** A streaming route (see {@link #postStreaming}) for any method. */
  public HttpRoutes addStreaming(String method, String pattern, StreamingHandler handler) {
    routes.add(
        new Route(
            requireNonNull(method, "method"),
            segments(pattern),
            null,
            requireNonNull(handler, "handler")));
    return this;
  }

  /** Adds every route of another table after these. */
  public HttpRoutes addAll(HttpRoutes other) {
    routes.addAll(other.routes);
    return this;
  }

  /**
   * A copy of this table whose routes first ask {@code authorizer}, except the routes whose pattern
   * is in {@code publicPatterns}. A refusal answers with the authorizer's error (401 or 403).
   */
  public HttpRoutes authorized(RequestAuthorizer authorizer, Set<String> publicPatterns) {
    requireNonNull(authorizer, "authorizer");
    requireNonNull(publicPatterns, "publicPatterns");
    HttpRoutes out = new HttpRoutes();
    for (Route r : routes) {
      if (publicPatterns.contains(r.patternText())) {
        out.routes.add(r);
      } else if (r.handler != null) {
        HttpHandler h = r.handler;
        out.routes.add(
            new Route(r.method, r.pattern, call -> authorized(authorizer, h, call), null));
      } else {
        StreamingHandler h = r.streaming;
        out.routes.add(
            new Route(
                r.method,
                r.pattern,
                null,
                call -> {
                  authorizer.authorize(AuthRequest.of(call)).toCompletableFuture().join();
                  return h.handle(call);
                }));
      }
    }
    return out;
  }

  /**
   * Runs {@code handler} once {@code authorizer} agrees. Cancelling the result (a closed
   * connection) cancels the handler's stage too, so that its work hears of it; before the decision,
   * the handler never runs.
   */
  private static CompletableFuture<HttpResult> authorized(
      RequestAuthorizer authorizer, HttpHandler handler, HttpCall call) {
    AtomicReference<CompletionStage<HttpResult>> inner = new AtomicReference<>();
    CompletableFuture<HttpResult> result =
        authorizer
            .authorize(AuthRequest.of(call))
            .toCompletableFuture()
            .thenCompose(
                ok -> {
                  CompletionStage<HttpResult> s;
                  try {
                    s = handler.handle(call);
                  } catch (Exception e) {
                    s = CompletableFuture.failedFuture(e);
                  }
                  inner.set(s);
                  return s;
                });
    result.whenComplete(
        (r, failure) -> {
          CompletionStage<HttpResult> s = inner.get();
          if (result.isCancelled() && s != null) {
            s.toCompletableFuture().cancel(false);
          }
        });
    return result;
  }

  /** The outcome of looking a request up. */
  sealed interface Match permits Found, FoundStreaming, MethodNotAllowed, NotFound {}

  record Found(HttpHandler handler, Map<String, String> pathParams) implements Match {}

  record FoundStreaming(StreamingHandler handler, Map<String, String> pathParams)
      implements Match {}

  record MethodNotAllowed(List<String> allowed) implements Match {}

  record NotFound() implements Match {}

  Match match(String method, String rawPath) {
    String[] parts = splitPath(rawPath);
    List<String> allowed = new ArrayList<>(2);
    for (Route r : routes) {
      Optional<Map<String, String>> params = r.match(parts);
      if (params.isPresent()) {
        if (r.method.equals(method) || (method.equals("HEAD") && r.method.equals("GET"))) {
          return r.handler != null
              ? new Found(r.handler, params.get())
              : new FoundStreaming(r.streaming, params.get());
        }
        if (!allowed.contains(r.method)) {
          allowed.add(r.method);
        }
      }
    }
    return allowed.isEmpty() ? new NotFound() : new MethodNotAllowed(allowed);
  }

  private static String[] splitPath(String path) {
    String p = path.startsWith("/") ? path.substring(1) : path;
    if (p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    return p.isEmpty() ? new String[0] : p.split("/", -1);
  }

  private static String[] segments(String pattern) {
    if (!pattern.startsWith("/")) {
      throw new IllegalArgumentException("pattern: '" + pattern + "' (expected: starting with /)");
    }
    return splitPath(pattern);
  }

  private record Route(
      String method, String[] pattern, HttpHandler handler, StreamingHandler streaming) {
    String patternText() {
      return "/" + String.join("/", pattern);
    }

    /**
     * The path parameters when {@code parts} match this pattern. Literal segments are compared
     * first, so a request allocates nothing for the routes it does not match.
     */
    Optional<Map<String, String>> match(String[] parts) {
      if (parts.length != pattern.length) {
        return Optional.empty();
      }
      int parameters = 0;
      for (int i = 0; i < pattern.length; i++) {
        String seg = pattern[i];
        if (isParameter(seg)) {
          String suffix = seg.substring(seg.indexOf('}') + 1);
          if (parts[i].length() <= suffix.length() || !parts[i].endsWith(suffix)) {
            return Optional.empty();
          }
          parameters++;
        } else if (!seg.equals(parts[i])) {
          return Optional.empty();
        }
      }
      if (parameters == 0) {
        return Optional.of(Map.of());
      }
      Map<String, String> params = new HashMap<>(4);
      for (int i = 0; i < pattern.length; i++) {
        String seg = pattern[i];
        if (isParameter(seg)) {
          int close = seg.indexOf('}');
          String part = parts[i];
          params.put(
              seg.substring(1, close),
              decode(part.substring(0, part.length() - (seg.length() - close - 1))));
        }
      }
      return Optional.of(params);
    }

    private static boolean isParameter(String segment) {
      return segment.startsWith("{") && segment.indexOf('}') > 0;
    }

    private static String decode(String segment) {
      return segment.indexOf('%') < 0 && segment.indexOf('+') < 0
          ? segment
          : URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
  }
}
