package dev.strata.protocol;

import dev.strata.core.StrataException;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * Triton's {@code timeout} request parameter: the request's timeout in microseconds, 0 meaning
 * none. Both the REST and the gRPC codec read and write it here.
 */
public final class TimeoutParameter {
  private TimeoutParameter() {}

  /**
   * The timeout a parameter value asks for.
   *
   * @param value the parameter's value as decoded (a Long for an integer)
   * @throws StrataException INVALID_ARGUMENT for a value that is not an integer {@code >= 0}
   */
  public static Optional<Duration> fromMicros(Object value) {
    if (!(value instanceof Long us) || us < 0) {
      throw StrataException.invalid(
          "parameters.%s: %s (expected: microseconds, an integer >= 0)", OipNames.TIMEOUT, value);
    }
    return us == 0 ? Optional.empty() : Optional.of(Duration.of(us, ChronoUnit.MICROS));
  }

  /** The parameter value for a timeout: whole microseconds, at least 1. */
  public static long toMicros(Duration timeout) {
    long us;
    try {
      us = timeout.toNanos() / 1000;
    } catch (ArithmeticException e) {
      us = Long.MAX_VALUE;
    }
    return Math.max(1, us);
  }
}
