package dev.strata.serving;

import static java.util.Objects.requireNonNull;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A route table: method + path pattern → handler. A pattern is a {@code /}-separated path whose
 * segments are literals or {@code {name}} parameters, e.g. {@code /v2/models/{model}/infer}. The
 * first route added that matches wins, so add specific routes before general ones.
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
            requireNonNull(handler, "handler")));
    return this;
  }

  /** Adds every route of another table after these. */
  public HttpRoutes addAll(HttpRoutes other) {
    routes.addAll(other.routes);
    return this;
  }

  /** The outcome of looking a request up. */
  sealed interface Match permits Found, MethodNotAllowed, NotFound {}

  record Found(HttpHandler handler, Map<String, String> pathParams) implements Match {}

  record MethodNotAllowed(List<String> allowed) implements Match {}

  record NotFound() implements Match {}

  Match match(String method, String rawPath) {
    String[] parts = splitPath(rawPath);
    List<String> allowed = new ArrayList<>(2);
    for (Route r : routes) {
      Optional<Map<String, String>> params = r.match(parts);
      if (params.isPresent()) {
        if (r.method.equals(method) || (method.equals("HEAD") && r.method.equals("GET"))) {
          return new Found(r.handler, params.get());
        }
        allowed.add(r.method);
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

  private record Route(String method, String[] pattern, HttpHandler handler) {
    Optional<Map<String, String>> match(String[] parts) {
      if (parts.length != pattern.length) {
        return Optional.empty();
      }
      Map<String, String> params = null;
      for (int i = 0; i < pattern.length; i++) {
        String seg = pattern[i];
        if (seg.startsWith("{") && seg.endsWith("}")) {
          if (parts[i].isEmpty()) {
            return Optional.empty();
          }
          if (params == null) {
            params = new HashMap<>(4);
          }
          params.put(seg.substring(1, seg.length() - 1), decode(parts[i]));
        } else if (!seg.equals(parts[i])) {
          return Optional.empty();
        }
      }
      return Optional.of(params == null ? Map.of() : params);
    }

    private static String decode(String segment) {
      return segment.indexOf('%') < 0 && segment.indexOf('+') < 0
          ? segment
          : URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
  }
}
