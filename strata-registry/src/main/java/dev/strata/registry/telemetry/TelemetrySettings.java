package dev.strata.registry.telemetry;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import java.time.Duration;

/**
 * How long the registry keeps edge telemetry.
 *
 * @param retention records received longer ago than this are deleted (default 7 days)
 * @param pruneInterval how often they are looked for (default 10 minutes), so a record outlives
 *     {@code retention} by at most this much
 */
public record TelemetrySettings(Duration retention, Duration pruneInterval) {
  public static final TelemetrySettings DEFAULTS =
      new TelemetrySettings(Duration.ofDays(7), Duration.ofMinutes(10));

  public TelemetrySettings {
    requireNonNull(retention, "retention");
    requireNonNull(pruneInterval, "pruneInterval");
    if (retention.isNegative() || retention.isZero()) {
      throw StrataException.invalid("telemetry retention: %s (expected: > 0)", retention);
    }
    if (pruneInterval.isNegative() || pruneInterval.isZero()) {
      throw StrataException.invalid("telemetry pruneInterval: %s (expected: > 0)", pruneInterval);
    }
  }
}
