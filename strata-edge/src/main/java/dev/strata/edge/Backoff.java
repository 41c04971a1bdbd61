package dev.strata.edge;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with jitter: the n-th delay in a row is drawn between half and all of {@code
 * initial * 2^n}, capped at {@code max}, so that a fleet of edges losing the same cloud does not
 * come back in lockstep.
 */
final class Backoff {
  private final long initialNanos;
  private final long maxNanos;
  private final RandomGenerator random;
  private int failures;

  Backoff(Duration initial, Duration max, RandomGenerator random) {
    this.initialNanos = initial.toNanos();
    this.maxNanos = max.toNanos();
    this.random = random;
  }

  /** The delay before the next attempt; each call doubles the next one. */
  synchronized Duration next() {
    long ceiling = initialNanos;
    for (int i = 0; i < failures && ceiling < maxNanos; i++) {
      ceiling *= 2;
    }
    ceiling = Math.min(ceiling, maxNanos);
    failures++;
    long half = ceiling / 2;
    return Duration.ofNanos(half + (half > 0 ? random.nextLong(half + 1) : 0));
  }

  synchronized void reset() {
    failures = 0;
  }

  synchronized int failures() {
    return failures;
  }
}
