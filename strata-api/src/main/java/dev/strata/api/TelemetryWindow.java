package dev.strata.api;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A time window over the end of telemetry intervals: a record counts in {@code [from, to)} by the
 * time its interval ended (the node's clock). Left out, {@code from} is one hour before {@code to}
 * (or before now) and {@code to} is open, so records of a node whose clock runs ahead still count.
 */
public record TelemetryWindow(Optional<Instant> from, Optional<Instant> to) {
  /** The default width of a window. */
  public static final Duration DEFAULT_WIDTH = Duration.ofHours(1);

  /** The last hour. */
  public static final TelemetryWindow LAST_HOUR =
      new TelemetryWindow(Optional.empty(), Optional.empty());

  public TelemetryWindow {
    requireNonNull(from, "from");
    requireNonNull(to, "to");
    if (from.isPresent() && to.isPresent() && !from.get().isBefore(to.get())) {
      throw StrataException.invalid("to: %s (expected: after from %s)", to.get(), from.get());
    }
  }

  /** The window's start, against {@code clock} where it is left out. */
  public Instant start(Clock clock) {
    return from.orElseGet(() -> to.orElseGet(clock::instant).minus(DEFAULT_WIDTH));
  }
}
