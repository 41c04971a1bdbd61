package dev.strata.api;

import static java.util.Objects.requireNonNull;

/**
 * Counters summed over the records of a window.
 *
 * @param records interval records counted
 * @param errorShare errors / requests (0 without requests)
 * @param escalationShare escalations / requests (0 without requests)
 * @param lost records missing from the node's sequence inside the window (numbers between the first
 *     and last seen there, of any deployment: a node's buffer overflowed while it was offline);
 *     which deployment they belonged to is unknown
 */
public record TelemetrySummary(
    long records,
    long requests,
    long errors,
    long escalations,
    long fallbacks,
    double errorShare,
    double escalationShare,
    LatencySummary latency,
    long lost) {
  public TelemetrySummary {
    requireNonNull(latency, "latency");
  }
}
