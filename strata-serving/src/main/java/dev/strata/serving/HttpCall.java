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
 * @param content the body, in the network buffers it arrived in (see {@link RequestBody} for how
 *     long they are valid)
 */
public record HttpCall(
    String method,
    String path,
    Map<String, String> pathParams,
    Map<String, List<String>> query,
    Function<String, Optional<String>> headers,
    RequestBody content)
    implements RequestHead {
  public HttpCall {
    requireNonNull(method, "method");
    requireNonNull(path, "path");
    pathParams = Map.copyOf(pathParams);
    query = Map.copyOf(query);
    requireNonNull(headers, "headers");
    requireNonNull(content, "content");
  }

  /** A call whose body is {@code body}'s remaining bytes, owned by the call. */
  public HttpCall(
      String method,
      String path,
      Map<String, String> pathParams,
      Map<String, List<String>> query,
      Function<String, Optional<String>> headers,
      ByteBuffer body) {
    this(method, path, pathParams, query, headers, RequestBody.of(body));
  }

  /**
   * The body in an array-backed buffer that handlers read but must not modify (empty when there is
   * none): {@link RequestBody#bytes()}, so read it before handing work to another thread.
   */
  public ByteBuffer body() {
    return content.bytes();
  }
}
