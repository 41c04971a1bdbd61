package dev.strata.api;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * Latency percentiles estimated from merged histograms: a percentile is the upper bound of the
 * bucket holding it, never more than the largest latency seen (the overflow bucket's percentiles
 * are that largest latency). So each is an upper bound of the true value, off by at most the width
 * of its bucket. Empty without latencies.
 *
 * @param count latencies counted
 */
public record LatencySummary(
    long count,
    Optional<Long> p50Micros,
    Optional<Long> p90Micros,
    Optional<Long> p99Micros,
    Optional<Long> maxMicros,
    Optional<Double> meanMicros) {
  public LatencySummary {
    requireNonNull(p50Micros, "p50Micros");
    requireNonNull(p90Micros, "p90Micros");
    requireNonNull(p99Micros, "p99Micros");
    requireNonNull(maxMicros, "maxMicros");
    requireNonNull(meanMicros, "meanMicros");
  }
}
