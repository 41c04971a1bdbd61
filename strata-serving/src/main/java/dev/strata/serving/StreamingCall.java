package dev.strata.serving;

import static java.util.Objects.requireNonNull;

import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * One request of a streaming route: its body is a stream fed by the connection while the handler
 * reads it. Reading blocks until bytes arrive; it throws an {@link java.io.IOException} when the
 * client goes away before the body is complete, so a partial body is never mistaken for a whole
 * one.
 *
 * @param method the method, upper case
 * @param path the decoded path, without the query
 * @param pathParams the values of the route's {@code {name}} segments, URL-decoded
 * @param query the query parameters
 * @param headers a case-insensitive header lookup
 * @param body the request body as it arrives; the server closes it when the handler returns
 * @param contentLength the declared length, when the client sent {@code Content-Length}
 */
public record StreamingCall(
    String method,
    String path,
    Map<String, String> pathParams,
    Map<String, List<String>> query,
    Function<String, Optional<String>> headers,
    InputStream body,
    OptionalLong contentLength)
    implements RequestHead {
  public StreamingCall {
    requireNonNull(method, "method");
    requireNonNull(path, "path");
    pathParams = Map.copyOf(pathParams);
    query = Map.copyOf(query);
    requireNonNull(headers, "headers");
    requireNonNull(body, "body");
    requireNonNull(contentLength, "contentLength");
  }
}
