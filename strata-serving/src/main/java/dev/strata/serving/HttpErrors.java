package dev.strata.serving;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.protocol.rest.RestCodec;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Turns failures into HTTP answers: the one place where exceptions map to statuses. */
public final class HttpErrors {
  private static final Logger log = LoggerFactory.getLogger(HttpErrors.class);

  private HttpErrors() {}

  private static final RestCodec CODEC = new RestCodec();

  /**
   * {@code {"error": "<message>", "code": "<CODE>"}} with the code's status; the code lets a Strata
   * client restore the exact {@link ErrorCode} where statuses are shared.
   */
  public static HttpResult of(ErrorCode code, String message) {
    HttpResult result =
        HttpResult.json(code.httpStatus(), CODEC.error(new StrataException(code, message)));
    if (code == ErrorCode.UNAUTHENTICATED) {
      // RFC 6750: a 401 names the scheme the client should use.
      return new HttpResult(
          result.status(),
          result.contentType(),
          java.util.Map.of("WWW-Authenticate", WWW_AUTHENTICATE),
          result.body());
    }
    return result;
  }

  /** The challenge every 401 carries. */
  public static final String WWW_AUTHENTICATE = "Bearer realm=\"strata\"";

  /** The answer for any throwable a handler raised or a stage failed with. */
  public static HttpResult of(Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof StrataException e) {
      return of(e.code(), e.getMessage());
    }
    if (t instanceof CancellationException) {
      return of(ErrorCode.CANCELLED, "request cancelled");
    }
    if (t instanceof java.util.concurrent.RejectedExecutionException) {
      return of(ErrorCode.RESOURCE_EXHAUSTED, "server busy: too many requests in progress; retry");
    }
    if (t instanceof IllegalArgumentException e) {
      return of(ErrorCode.INVALID_ARGUMENT, String.valueOf(e.getMessage()));
    }
    log.error("unexpected failure while handling a request", t);
    return of(ErrorCode.INTERNAL, "internal error: " + t.getClass().getSimpleName());
  }

  /** The code a failure maps to, for metrics and logs. */
  public static ErrorCode code(Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof StrataException e) {
      return e.code();
    }
    if (t instanceof CancellationException) {
      return ErrorCode.CANCELLED;
    }
    if (t instanceof java.util.concurrent.RejectedExecutionException) {
      return ErrorCode.RESOURCE_EXHAUSTED;
    }
    return t instanceof IllegalArgumentException ? ErrorCode.INVALID_ARGUMENT : ErrorCode.INTERNAL;
  }

  public static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** {@code {"error": "<message>"}}. */
  public static byte[] body(String message) {
    return CODEC.error(message);
  }
}
