package dev.strata.core;

import static java.util.Objects.requireNonNull;

/**
 * The root of Strata's exceptions: an unchecked exception with an {@link ErrorCode}. Messages are
 * meant for the caller: they name the value at fault and what was expected.
 */
public class StrataException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;

  public StrataException(ErrorCode code, String message) {
    super(message);
    this.code = requireNonNull(code, "code");
  }

  public StrataException(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = requireNonNull(code, "code");
  }

  public ErrorCode code() {
    return code;
  }

  public static StrataException invalid(String format, Object... args) {
    return new StrataException(ErrorCode.INVALID_ARGUMENT, String.format(format, args));
  }

  public static StrataException notFound(String format, Object... args) {
    return new StrataException(ErrorCode.NOT_FOUND, String.format(format, args));
  }

  public static StrataException unavailable(String format, Object... args) {
    return new StrataException(ErrorCode.UNAVAILABLE, String.format(format, args));
  }

  public static StrataException internal(String message, Throwable cause) {
    return new StrataException(ErrorCode.INTERNAL, message, cause);
  }
}
