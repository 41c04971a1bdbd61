package dev.strata.serving;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * What every routed request has apart from its body: method, path, path and query parameters,
 * headers. {@link HttpCall} (body received) and {@link StreamingCall} (body streamed) share it.
 */
public sealed interface RequestHead permits HttpCall, StreamingCall {
  /** The method, upper case. */
  String method();

  /** The decoded path, without the query. */
  String path();

  /** The values of the route's {@code {name}} segments, URL-decoded. */
  Map<String, String> pathParams();

  /** The query parameters. */
  Map<String, List<String>> query();

  /** A case-insensitive header lookup. */
  Function<String, Optional<String>> headers();

  default Optional<String> header(String name) {
    return headers().apply(name);
  }

  default String pathParam(String name) {
    String v = pathParams().get(name);
    if (v == null) {
      throw new IllegalArgumentException("route has no path parameter '" + name + "'");
    }
    return v;
  }

  default Optional<String> queryParam(String name) {
    List<String> v = query().get(name);
    return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.getFirst());
  }
}
