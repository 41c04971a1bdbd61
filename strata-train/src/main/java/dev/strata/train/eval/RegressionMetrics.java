package dev.strata.train.eval;

import dev.strata.core.StrataException;

/** Regression metrics: mean absolute error, root mean squared error and R². */
public record RegressionMetrics(int samples, double mae, double rmse, double r2) {

  public static RegressionMetrics compute(float[] targets, float[] predictions) {
    int n = targets.length;
    if (n == 0 || predictions.length != n) {
      throw StrataException.invalid(
          "metrics: %d targets, %d predictions (expected: the same, > 0)", n, predictions.length);
    }
    double mean = 0;
    for (float t : targets) {
      mean += t;
    }
    mean /= n;
    double abs = 0;
    double sq = 0;
    double tot = 0;
    for (int i = 0; i < n; i++) {
      double e = predictions[i] - targets[i];
      abs += Math.abs(e);
      sq += e * e;
      tot += (targets[i] - mean) * (targets[i] - mean);
    }
    double r2 = tot == 0 ? (sq == 0 ? 1 : 0) : 1 - sq / tot;
    return new RegressionMetrics(n, abs / n, Math.sqrt(sq / n), r2);
  }
}
