package dev.strata.registry.fleet;

import static java.util.Objects.requireNonNull;

import dev.strata.api.NodeState;
import dev.strata.core.StrataException;
import java.time.Duration;

/**
 * Fleet timing.
 *
 * @param heartbeatInterval how often nodes are told to send heartbeats (default 10 s)
 * @param staleAfter heartbeat age after which a node is stale (default 3 intervals)
 * @param offlineAfter heartbeat age after which a node is offline (default 12 intervals)
 * @param flushInterval how often the latest heartbeats are written to the database (default 5 s); a
 *     crash loses at most this much liveness history, never identity or credentials
 * @param enrollmentTokenTtl default lifetime of enrollment tokens (default 24 h)
 */
public record FleetSettings(
    Duration heartbeatInterval,
    Duration staleAfter,
    Duration offlineAfter,
    Duration flushInterval,
    Duration enrollmentTokenTtl) {
  public static final FleetSettings DEFAULTS =
      new FleetSettings(
          Duration.ofSeconds(10),
          Duration.ofSeconds(30),
          Duration.ofMinutes(2),
          Duration.ofSeconds(5),
          Duration.ofHours(24));

  public FleetSettings {
    positive(requireNonNull(heartbeatInterval, "heartbeatInterval"), "heartbeatInterval");
    positive(requireNonNull(staleAfter, "staleAfter"), "staleAfter");
    positive(requireNonNull(offlineAfter, "offlineAfter"), "offlineAfter");
    positive(requireNonNull(flushInterval, "flushInterval"), "flushInterval");
    positive(requireNonNull(enrollmentTokenTtl, "enrollmentTokenTtl"), "enrollmentTokenTtl");
    if (offlineAfter.compareTo(staleAfter) < 0) {
      throw StrataException.invalid(
          "offlineAfter: %s (expected: >= staleAfter %s)", offlineAfter, staleAfter);
    }
  }

  private static void positive(Duration d, String what) {
    if (d.isZero() || d.isNegative()) {
      throw StrataException.invalid("%s: %s (expected: > 0)", what, d);
    }
  }

  public NodeState stateFor(Duration age) {
    if (age.compareTo(staleAfter) <= 0) {
      return NodeState.ONLINE;
    }
    return age.compareTo(offlineAfter) <= 0 ? NodeState.STALE : NodeState.OFFLINE;
  }
}
