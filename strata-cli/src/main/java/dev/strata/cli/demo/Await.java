package dev.strata.cli.demo;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/** Polls a condition until it holds or a deadline passes. */
final class Await {
  private static final long POLL_MILLIS = 100;

  private Await() {}

  /**
   * Returns once {@code check} gives a value; throws UNAVAILABLE naming {@code what} and {@code
   * lastState} after {@code timeout}. A check may throw to fail at once (e.g. a deployment FAILED).
   */
  static <T> T until(
      String what,
      Duration timeout,
      Clock clock,
      Supplier<Optional<T>> check,
      Supplier<String> lastState)
      throws InterruptedException {
    long deadline = clock.millis() + timeout.toMillis();
    while (true) {
      Optional<T> done = check.get();
      if (done.isPresent()) {
        return done.get();
      }
      if (clock.millis() >= deadline) {
        throw new StrataException(
            ErrorCode.UNAVAILABLE,
            what + ": not done after " + timeout.toSeconds() + " s (" + lastState.get() + ")");
      }
      Thread.sleep(POLL_MILLIS);
    }
  }
}
