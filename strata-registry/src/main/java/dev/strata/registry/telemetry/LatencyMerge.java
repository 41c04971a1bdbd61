package dev.strata.registry.telemetry;

import dev.strata.api.LatencySummary;
import dev.strata.control.LatencyHistogram;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Histograms merged by bucket upper bound, so that records with different bounds (agents of
 * different versions) still merge: each latency is known only to be at most its bucket's bound.
 */
final class LatencyMerge {
  private final TreeMap<Long, Long> byBound = new TreeMap<>();
  private long count;
  private long sum;
  private long max;

  void add(LatencyHistogram h) {
    int bounds = h.boundsMicros().size();
    for (int i = 0; i < bounds; i++) {
      long c = h.counts().get(i);
      if (c > 0) {
        byBound.merge(h.boundsMicros().get(i), c, Long::sum);
      }
    }
    count += h.total();
    sum += h.sumMicros();
    max = Math.max(max, h.maxMicros());
  }

  void add(LatencyMerge other) {
    other.byBound.forEach((bound, c) -> byBound.merge(bound, c, Long::sum));
    count += other.count;
    sum += other.sum;
    max = Math.max(max, other.max);
  }

  /**
   * The upper bound of the bucket holding the {@code ceil(q * count)}-th latency, at most the
   * largest latency seen; empty without latencies.
   */
  Optional<Long> percentile(double q) {
    if (count == 0) {
      return Optional.empty();
    }
    // the epsilon keeps a product like 0.9 * 50 from rounding up past its integer
    long rank = Math.max(1, (long) Math.ceil(q * count - 1e-9));
    long seen = 0;
    for (Map.Entry<Long, Long> e : byBound.entrySet()) {
      seen += e.getValue();
      if (seen >= rank) {
        return Optional.of(Math.min(e.getKey(), max));
      }
    }
    return Optional.of(max);
  }

  LatencySummary summary() {
    return new LatencySummary(
        count,
        percentile(0.50),
        percentile(0.90),
        percentile(0.99),
        count == 0 ? Optional.empty() : Optional.of(max),
        count == 0 ? Optional.empty() : Optional.of((double) sum / count));
  }
}
