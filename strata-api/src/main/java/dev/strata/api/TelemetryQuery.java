package dev.strata.api;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import java.util.Optional;

/**
 * Which of a node's records to list: those ending in {@code window}, of {@code deployment} if
 * given, at most {@code limit} (oldest first).
 */
public record TelemetryQuery(TelemetryWindow window, Optional<String> deployment, int limit) {
  public static final int DEFAULT_LIMIT = 1000;
  public static final int MAX_LIMIT = 10_000;

  public TelemetryQuery {
    requireNonNull(window, "window");
    requireNonNull(deployment, "deployment");
    if (limit < 1 || limit > MAX_LIMIT) {
      throw StrataException.invalid("limit: %d (expected: 1-%d)", limit, MAX_LIMIT);
    }
  }

  /** The last hour's records of every deployment, up to the default limit. */
  public static TelemetryQuery lastHour() {
    return new TelemetryQuery(TelemetryWindow.LAST_HOUR, Optional.empty(), DEFAULT_LIMIT);
  }
}
