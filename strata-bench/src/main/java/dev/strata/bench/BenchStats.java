package dev.strata.bench;

import java.util.List;

/** Small statistics the benchmarks' reports share. */
public final class BenchStats {
  private BenchStats() {}

  /** The median of {@code values} (the mean of the middle two for an even count). */
  public static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
