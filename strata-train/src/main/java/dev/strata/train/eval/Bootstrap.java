package dev.strata.train.eval;

import java.util.Arrays;
import java.util.Random;
import java.util.function.ToDoubleFunction;

/** Percentile bootstrap confidence intervals of a metric over per-sample results. */
public final class Bootstrap {
  private Bootstrap() {}

  /** A confidence interval at {@code level} (e.g. 0.95) from {@code resamples} resamples. */
  public record Interval(
      double estimate, double lower, double upper, double level, int resamples) {}

  /**
   * Resamples sample indices with replacement and takes the percentiles of the metric.
   *
   * @param metric the metric of a resample, given its indices into the original samples
   */
  public static Interval interval(
      int n, ToDoubleFunction<int[]> metric, double level, int resamples, long seed) {
    Random rnd = new Random(seed);
    int[] all = new int[n];
    for (int i = 0; i < n; i++) {
      all[i] = i;
    }
    double estimate = metric.applyAsDouble(all);
    double[] values = new double[resamples];
    int[] idx = new int[n];
    for (int r = 0; r < resamples; r++) {
      for (int i = 0; i < n; i++) {
        idx[i] = rnd.nextInt(n);
      }
      values[r] = metric.applyAsDouble(idx);
    }
    Arrays.sort(values);
    double alpha = (1 - level) / 2;
    return new Interval(
        estimate, percentile(values, alpha), percentile(values, 1 - alpha), level, resamples);
  }

  /** Accuracy of the given samples from a per-sample "correct" vector. */
  public static double accuracy(boolean[] correct, int[] idx) {
    long c = 0;
    for (int i : idx) {
      if (correct[i]) {
        c++;
      }
    }
    return (double) c / idx.length;
  }

  private static double percentile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
  }
}
