package dev.strata.cli.demo;

import java.util.Arrays;

/**
 * How one path did over a set of answers: how many were right and how long they took.
 *
 * @param count answers
 * @param correct answers that named the image's class
 * @param p50Nanos median latency (nearest rank), 0 without answers
 * @param p99Nanos 99th percentile latency (nearest rank), 0 without answers
 */
record PathResult(int count, int correct, long p50Nanos, long p99Nanos) {
  static final PathResult NONE = new PathResult(0, 0, 0, 0);

  PathResult {
    if (count < 0 || correct < 0 || correct > count) {
      throw new IllegalArgumentException(
          "path result: "
              + correct
              + " of "
              + count
              + " correct (expected: 0 <= correct <= count)");
    }
  }

  /** From each answer's correctness and latency. */
  static PathResult of(boolean[] right, long[] nanos) {
    if (right.length != nanos.length) {
      throw new IllegalArgumentException(
          right.length + " answers, " + nanos.length + " latencies (expected: as many)");
    }
    if (right.length == 0) {
      return NONE;
    }
    int correct = 0;
    for (boolean r : right) {
      correct += r ? 1 : 0;
    }
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return new PathResult(
        right.length, correct, percentile(sorted, 0.50), percentile(sorted, 0.99));
  }

  /**
   * The nearest-rank percentile of sorted values: the smallest value with p of them at or below.
   */
  static long percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      throw new IllegalArgumentException("percentile of nothing");
    }
    if (!(p > 0 && p <= 1)) {
      throw new IllegalArgumentException("percentile: " + p + " (expected: 0 < p <= 1)");
    }
    int rank = (int) Math.ceil(p * sorted.length);
    return sorted[Math.max(0, rank - 1)];
  }

  /** correct / count, 0 without answers. */
  double accuracy() {
    return count == 0 ? 0 : (double) correct / count;
  }
}
