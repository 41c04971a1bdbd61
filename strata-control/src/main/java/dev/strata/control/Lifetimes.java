package dev.strata.control;

import dev.strata.core.StrataException;
import java.time.Duration;
import java.util.Optional;

/**
 * How long a credential the cloud issues (an API key, an enrollment token) may live: more than
 * nothing and at most {@link #MAX}, so that an expiry is always a representable instant.
 */
public final class Lifetimes {
  /** Ten years: longer is a key that never expires, which is what leaving out the ttl says. */
  public static final Duration MAX = Duration.ofDays(3650);

  private Lifetimes() {}

  /** Checks an optional lifetime; INVALID_ARGUMENT naming the range otherwise. */
  public static Optional<Duration> requireValid(Optional<Duration> ttl, String what) {
    if (ttl == null) {
      return Optional.empty();
    }
    ttl.ifPresent(
        t -> {
          if (t.isNegative() || t.isZero() || t.compareTo(MAX) > 0) {
            throw StrataException.invalid(
                "%s: %s (expected: > 0 and at most P3650D, ten years)", what, t);
          }
        });
    return ttl;
  }
}
