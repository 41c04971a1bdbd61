package dev.strata.serving;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * One HTTP request as a route handler sees it: the body fully received (up to the configured size
 * limit) and the path parameters of the matched route.
 *
 * @param method the method, upper case
 * @param path the decoded path, without the query
 * @param pathParams the values of the route's {@code {name}} segments, URL-decoded
 * @param query the query parameters
 * @param headers a case-insensitive header lookup
 * @param body the body in an array-backed buffer that handlers read but must not modify (empty when
 *     there is none)
 */
public record HttpCall(
    String method,
    String path,
    Map<String, String> pathParams,
    Map<String, List<String>> query,
    Function<String, Optional<String>> headers,
    ByteBuffer body)
    implements RequestHead {
  public HttpCall {
    requireNonNull(method, "method");
    requireNonNull(path, "path");
    pathParams = Map.copyOf(pathParams);
    query = Map.copyOf(query);
    requireNonNull(headers, "headers");
    requireNonNull(body, "body");
  }
}
