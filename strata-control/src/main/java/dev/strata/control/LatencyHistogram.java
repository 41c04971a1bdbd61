package dev.strata.control;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import java.util.List;

/**
 * Request latencies counted in fixed buckets, as Prometheus histograms count them but not
 * cumulative: {@code counts[i]} requests took at most {@code boundsMicros[i]} and more than the
 * bound before it; the last count holds those above every bound.
 *
 * @param boundsMicros the buckets' upper bounds in microseconds, strictly increasing
 * @param counts one count per bound plus the overflow bucket
 * @param sumMicros the sum of every latency counted
 * @param maxMicros the largest latency counted (0 when none)
 */
public record LatencyHistogram(
    List<Long> boundsMicros, List<Long> counts, long sumMicros, long maxMicros) {
  /** 100 µs to 10 s in roughly 1-2.5-5 steps: what edges use. */
  public static final List<Long> DEFAULT_BOUNDS_MICROS =
      List.of(
          100L,
          250L,
          500L,
          1_000L,
          2_500L,
          5_000L,
          10_000L,
          25_000L,
          50_000L,
          100_000L,
          250_000L,
          500_000L,
          1_000_000L,
          2_500_000L,
          5_000_000L,
          10_000_000L);

  public LatencyHistogram {
    boundsMicros = List.copyOf(requireNonNull(boundsMicros, "boundsMicros"));
    counts = List.copyOf(requireNonNull(counts, "counts"));
    if (boundsMicros.size() > 64 || counts.size() != boundsMicros.size() + 1) {
      throw StrataException.invalid(
          "latency histogram: %d bounds, %d counts (expected: at most 64 bounds and one count more)",
          boundsMicros.size(), counts.size());
    }
    for (int i = 1; i < boundsMicros.size(); i++) {
      if (boundsMicros.get(i) <= boundsMicros.get(i - 1)) {
        throw StrataException.invalid(
            "latency histogram bounds: %s (expected: strictly increasing)", boundsMicros);
      }
    }
    if (counts.stream().anyMatch(c -> c < 0) || sumMicros < 0 || maxMicros < 0) {
      throw StrataException.invalid(
          "latency histogram: counts %s, sum %d, max %d (expected: >= 0)",
          counts, sumMicros, maxMicros);
    }
  }

  /** The number of latencies counted. */
  public long total() {
    long n = 0;
    for (long c : counts) {
      n += c;
    }
    return n;
  }
}
