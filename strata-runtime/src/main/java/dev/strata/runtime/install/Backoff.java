package dev.strata.runtime.install;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with jitter: the n-th delay in a row is drawn between half and all of {@code
 * initial * 2^n}, capped at {@code max}, so that a fleet of edges losing the same cloud does not
 * come back in lockstep. The one retry policy of Strata's loops: the reconcile core on the cloud
 * and the edge, the edge's control loop and its hard-example uploads.
 */
public final class Backoff {
  private final long initialNanos;
  private final long maxNanos;
  private final RandomGenerator random;
  private int failures;

  /** A backoff starting at {@code initial}, doubling up to {@code max}. */
  public Backoff(Duration initial, Duration max, RandomGenerator random) {
    this.initialNanos = initial.toNanos();
    this.maxNanos = max.toNanos();
    this.random = random;
  }

  /** The delay before the next attempt; each call doubles the next one. */
  public synchronized Duration next() {
    long ceiling = initialNanos;
    for (int i = 0; i < failures && ceiling < maxNanos; i++) {
      ceiling *= 2;
    }
    ceiling = Math.min(ceiling, maxNanos);
    failures++;
    long half = ceiling / 2;
    return Duration.ofNanos(half + (half > 0 ? random.nextLong(half + 1) : 0));
  }

  /** After a success: the next delay is the initial one again. */
  public synchronized void reset() {
    failures = 0;
  }

  /** Failures in a row since the last reset. */
  public synchronized int failures() {
    return failures;
  }
}
