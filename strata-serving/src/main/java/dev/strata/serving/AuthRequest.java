package dev.strata.serving;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * What a {@link RequestAuthorizer} sees of a request.
 *
 * @param protocol {@code http} or {@code grpc}
 * @param method the HTTP method, or {@code POST} for gRPC
 * @param path the HTTP path, or the gRPC method as {@code /package.Service/Method}
 * @param headers a case-insensitive lookup of the HTTP headers or gRPC metadata
 */
public record AuthRequest(
    String protocol, String method, String path, Function<String, Optional<String>> headers) {
  public static final String HTTP = "http";
  public static final String GRPC = "grpc";

  public AuthRequest {
    requireNonNull(protocol, "protocol");
    requireNonNull(method, "method");
    requireNonNull(path, "path");
    requireNonNull(headers, "headers");
  }

  static AuthRequest of(RequestHead call) {
    return new AuthRequest(HTTP, call.method(), call.path(), call.headers());
  }

  public Optional<String> header(String name) {
    return headers.apply(name);
  }

  /** The token of an {@code Authorization: Bearer <token>} header, if there is one. */
  public Optional<String> bearerToken() {
    return bearerToken(header("Authorization"));
  }

  /** The token of an {@code Authorization} header value of the Bearer scheme. */
  public static Optional<String> bearerToken(Optional<String> authorization) {
    if (authorization.isEmpty()) {
      return Optional.empty();
    }
    String v = authorization.get().trim();
    if (v.length() < 7 || !v.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
      return Optional.empty();
    }
    String token = v.substring(7).trim();
    return token.isEmpty() ? Optional.empty() : Optional.of(token);
  }
}
