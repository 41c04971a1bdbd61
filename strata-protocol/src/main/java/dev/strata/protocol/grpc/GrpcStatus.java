package dev.strata.protocol.grpc;

import static java.util.Objects.requireNonNull;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The one mapping between Strata's {@link ErrorCode} and gRPC status codes, both ways.
 *
 * <table>
 *   <caption>ErrorCode to gRPC</caption>
 *   <tr><td>INVALID_ARGUMENT</td><td>INVALID_ARGUMENT</td></tr>
 *   <tr><td>NOT_FOUND</td><td>NOT_FOUND</td></tr>
 *   <tr><td>ALREADY_EXISTS</td><td>ALREADY_EXISTS</td></tr>
 *   <tr><td>FAILED_PRECONDITION</td><td>FAILED_PRECONDITION</td></tr>
 *   <tr><td>PAYLOAD_TOO_LARGE</td><td>RESOURCE_EXHAUSTED, as grpc-java itself reports a message
 *       over the size limit</td></tr>
 *   <tr><td>RESOURCE_EXHAUSTED</td><td>RESOURCE_EXHAUSTED</td></tr>
 *   <tr><td>UNAVAILABLE</td><td>UNAVAILABLE</td></tr>
 *   <tr><td>DEADLINE_EXCEEDED</td><td>DEADLINE_EXCEEDED</td></tr>
 *   <tr><td>CANCELLED</td><td>CANCELLED</td></tr>
 *   <tr><td>UNAUTHENTICATED</td><td>UNAUTHENTICATED</td></tr>
 *   <tr><td>PERMISSION_DENIED</td><td>PERMISSION_DENIED</td></tr>
 *   <tr><td>UNIMPLEMENTED</td><td>UNIMPLEMENTED</td></tr>
 *   <tr><td>INTERNAL</td><td>INTERNAL</td></tr>
 * </table>
 *
 * <p>Back from gRPC, the codes map one to one, with OUT_OF_RANGE as INVALID_ARGUMENT, ABORTED as
 * FAILED_PRECONDITION and UNKNOWN and DATA_LOSS as INTERNAL. Since PAYLOAD_TOO_LARGE and
 * RESOURCE_EXHAUSTED share a gRPC code, a Strata server also sends the exact code in the trailer
 * {@value #ERROR_CODE_HEADER}; a Strata client prefers it, any other client sees the standard code.
 */
public final class GrpcStatus {
  private GrpcStatus() {}

  /** The trailer that carries the exact {@link ErrorCode} name. */
  public static final String ERROR_CODE_HEADER = "strata-error-code";

  /** The trailer key for {@link #ERROR_CODE_HEADER}. */
  public static final Metadata.Key<String> ERROR_CODE_KEY =
      Metadata.Key.of(ERROR_CODE_HEADER, Metadata.ASCII_STRING_MARSHALLER);

  /** The gRPC code for an error code. */
  public static Status.Code code(ErrorCode code) {
    return switch (requireNonNull(code, "code")) {
      case INVALID_ARGUMENT -> Status.Code.INVALID_ARGUMENT;
      case NOT_FOUND -> Status.Code.NOT_FOUND;
      case ALREADY_EXISTS -> Status.Code.ALREADY_EXISTS;
      case FAILED_PRECONDITION -> Status.Code.FAILED_PRECONDITION;
      case PAYLOAD_TOO_LARGE, RESOURCE_EXHAUSTED -> Status.Code.RESOURCE_EXHAUSTED;
      case UNAVAILABLE -> Status.Code.UNAVAILABLE;
      case DEADLINE_EXCEEDED -> Status.Code.DEADLINE_EXCEEDED;
      case CANCELLED -> Status.Code.CANCELLED;
      case UNAUTHENTICATED -> Status.Code.UNAUTHENTICATED;
      case PERMISSION_DENIED -> Status.Code.PERMISSION_DENIED;
      case UNIMPLEMENTED -> Status.Code.UNIMPLEMENTED;
      case INTERNAL -> Status.Code.INTERNAL;
    };
  }

  /**
   * The error code for a gRPC code.
   *
   * @throws IllegalArgumentException for OK, which is no error
   */
  public static ErrorCode errorCode(Status.Code code) {
    return switch (requireNonNull(code, "code")) {
      case OK -> throw new IllegalArgumentException("OK is not an error");
      case INVALID_ARGUMENT, OUT_OF_RANGE -> ErrorCode.INVALID_ARGUMENT;
      case NOT_FOUND -> ErrorCode.NOT_FOUND;
      case ALREADY_EXISTS -> ErrorCode.ALREADY_EXISTS;
      case FAILED_PRECONDITION, ABORTED -> ErrorCode.FAILED_PRECONDITION;
      case RESOURCE_EXHAUSTED -> ErrorCode.RESOURCE_EXHAUSTED;
      case UNAVAILABLE -> ErrorCode.UNAVAILABLE;
      case DEADLINE_EXCEEDED -> ErrorCode.DEADLINE_EXCEEDED;
      case CANCELLED -> ErrorCode.CANCELLED;
      case UNAUTHENTICATED -> ErrorCode.UNAUTHENTICATED;
      case PERMISSION_DENIED -> ErrorCode.PERMISSION_DENIED;
      case UNIMPLEMENTED -> ErrorCode.UNIMPLEMENTED;
      case UNKNOWN, DATA_LOSS, INTERNAL -> ErrorCode.INTERNAL;
    };
  }

  /**
   * Server side: the exception to close a call with. A {@link StrataException} keeps its code and
   * message (and sends the exact code as a trailer); a cancellation is CANCELLED; a gRPC status
   * exception passes unchanged; anything else is INTERNAL without its message, which may hold
   * details a client must not see (log it before calling this).
   */
  public static StatusRuntimeException toStatusException(Throwable t) {
    Throwable e = unwrap(requireNonNull(t, "t"));
    if (e instanceof StatusRuntimeException s) {
      return s;
    }
    if (e instanceof StatusException s) {
      return new StatusRuntimeException(s.getStatus(), s.getTrailers());
    }
    ErrorCode code;
    String message;
    if (e instanceof StrataException s) {
      code = s.code();
      message = s.getMessage();
    } else if (e instanceof CancellationException) {
      code = ErrorCode.CANCELLED;
      message = "cancelled";
    } else {
      code = ErrorCode.INTERNAL;
      message = "internal error";
    }
    Metadata trailers = new Metadata();
    trailers.put(ERROR_CODE_KEY, code.name());
    Status status = Status.fromCode(code(code)).withDescription(message).withCause(e);
    return status.asRuntimeException(trailers);
  }

  /**
   * Client side: the StrataException a failed call stands for, with the exact code from the {@value
   * #ERROR_CODE_HEADER} trailer when the server sent it, else the mapped gRPC code.
   */
  public static StrataException toStrataException(Throwable t) {
    Throwable e = unwrap(requireNonNull(t, "t"));
    if (e instanceof StrataException s) {
      return s;
    }
    Status status;
    Metadata trailers;
    if (e instanceof StatusRuntimeException s) {
      status = s.getStatus();
      trailers = s.getTrailers();
    } else if (e instanceof StatusException s) {
      status = s.getStatus();
      trailers = s.getTrailers();
    } else {
      status = Status.fromThrowable(e);
      trailers = Status.trailersFromThrowable(e);
    }
    ErrorCode code =
        status.getCode() == Status.Code.OK ? ErrorCode.INTERNAL : errorCode(status.getCode());
    if (trailers != null) {
      String exact = trailers.get(ERROR_CODE_KEY);
      for (ErrorCode c : ErrorCode.values()) {
        if (c.name().equals(exact)) {
          code = c;
        }
      }
    }
    String message =
        status.getDescription() != null ? status.getDescription() : status.getCode().name();
    return new StrataException(code, message, e);
  }

  private static Throwable unwrap(Throwable t) {
    Throwable e = t;
    while ((e instanceof CompletionException || e instanceof ExecutionException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }
}
