package dev.strata.edge.calibrate;

import static java.util.Objects.requireNonNull;

import dev.strata.control.ConfidenceMeasure;
import dev.strata.core.StrataException;
import dev.strata.edge.Confidence;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The trade-off a cascade threshold makes between edge share and accuracy, computed exactly on a
 * labelled set from the edge's confidence scores and whether each model is right. Candidate
 * thresholds lie halfway between consecutive distinct scores (so no example sits on one), plus the
 * ends 0 and 1; each is evaluated with the same rule the edge applies ({@link
 * Confidence#escalates}).
 */
public final class Calibration {
  /** A chosen threshold and whether it reaches the target asked for. */
  public record Choice(CurvePoint point, boolean targetMet) {}

  private final ConfidenceMeasure measure;
  private final List<CurvePoint> curve;
  private final double edgeAccuracy;
  private final double cloudAccuracy;
  private final double[] scores;
  private final double[] edgeQuality;
  private final double[] cloudQuality;

  private Calibration(
      ConfidenceMeasure measure,
      List<CurvePoint> curve,
      double edgeAccuracy,
      double cloudAccuracy,
      double[] scores,
      double[] edgeQuality,
      double[] cloudQuality) {
    this.scores = scores;
    this.edgeQuality = edgeQuality;
    this.cloudQuality = cloudQuality;
    this.measure = measure;
    this.curve = curve;
    this.edgeAccuracy = edgeAccuracy;
    this.cloudAccuracy = cloudAccuracy;
  }

  /**
   * @param scores the edge's confidence score of each example, per {@code measure}
   * @param edgeRight whether the edge model's answer is right
   * @param cloudRight whether the cloud model's answer is right
   */
  public static Calibration of(
      ConfidenceMeasure measure, double[] scores, boolean[] edgeRight, boolean[] cloudRight) {
    return ofQuality(measure, scores, zeroOne(edgeRight), zeroOne(cloudRight));
  }

  private static double[] zeroOne(boolean[] right) {
    double[] q = new double[right.length];
    for (int i = 0; i < q.length; i++) {
      q[i] = right[i] ? 1 : 0;
    }
    return q;
  }

  /**
   * As {@link #of}, with a quality in 0-1 per example and model (a language model's word accuracy
   * against the reference, say) in place of right or wrong; the curve's "accuracy" is then the
   * cascade's mean quality.
   */
  public static Calibration ofQuality(
      ConfidenceMeasure measure, double[] scores, double[] edgeRight, double[] cloudRight) {
    requireNonNull(measure, "measure");
    int n = scores.length;
    if (n == 0 || edgeRight.length != n || cloudRight.length != n) {
      throw StrataException.invalid(
          "calibration: %d scores, %d and %d answers (expected: as many, at least one)",
          n, edgeRight.length, cloudRight.length);
    }
    // examples by score, ascending; prefix sums of who is right over that order
    Integer[] order = new Integer[n];
    Arrays.setAll(order, i -> i);
    Arrays.sort(order, Comparator.comparingDouble(i -> scores[i]));
    double[] sorted = new double[n];
    double[] edgePrefix = new double[n + 1];
    double[] cloudPrefix = new double[n + 1];
    for (int k = 0; k < n; k++) {
      int i = order[k];
      sorted[k] = scores[i];
      edgePrefix[k + 1] = edgePrefix[k] + edgeRight[i];
      cloudPrefix[k + 1] = cloudPrefix[k] + cloudRight[i];
    }
    List<Double> thresholds = new ArrayList<>();
    thresholds.add(0.0);
    for (int k = 1; k < n; k++) {
      if (sorted[k] > sorted[k - 1]) {
        thresholds.add((sorted[k - 1] + sorted[k]) / 2);
      }
    }
    thresholds.add(1.0);
    List<CurvePoint> curve = new ArrayList<>(thresholds.size());
    for (double t : thresholds) {
      // the examples escalated form a prefix (low scores) or a suffix (high entropy)
      int from;
      int to;
      if (measure == ConfidenceMeasure.ENTROPY) {
        from = upperBound(sorted, t);
        to = n;
      } else {
        from = 0;
        to = lowerBound(sorted, t);
      }
      int escalated = to - from;
      double right =
          (cloudPrefix[to] - cloudPrefix[from])
              + (edgePrefix[n] - (edgePrefix[to] - edgePrefix[from]));
      curve.add(new CurvePoint(t, (double) (n - escalated) / n, right / n, escalated));
    }
    curve.sort(Comparator.comparingDouble(CurvePoint::edgeShare).reversed());
    return new Calibration(
        measure,
        List.copyOf(curve),
        edgePrefix[n] / n,
        cloudPrefix[n] / n,
        scores.clone(),
        edgeRight.clone(),
        cloudRight.clone());
  }

  /** The first index whose value is >= t. */
  private static int lowerBound(double[] a, double t) {
    int lo = 0;
    int hi = a.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] < t) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** The first index whose value is > t. */
  private static int upperBound(double[] a, double t) {
    int lo = 0;
    int hi = a.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] <= t) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /**
   * What {@code threshold} gives on this set (one calibrated elsewhere, checked on held-out data),
   * by the rule the edge applies.
   */
  public CurvePoint at(double threshold) {
    int n = scores.length;
    int escalated = 0;
    double quality = 0;
    for (int i = 0; i < n; i++) {
      if (Confidence.escalates(measure, scores[i], threshold)) {
        escalated++;
        quality += cloudQuality[i];
      } else {
        quality += edgeQuality[i];
      }
    }
    return new CurvePoint(threshold, (double) (n - escalated) / n, quality / n, escalated);
  }

  public ConfidenceMeasure measure() {
    return measure;
  }

  /** Every distinct trade-off, from the highest edge share to the lowest. */
  public List<CurvePoint> curve() {
    return curve;
  }

  /** Accuracy of the edge model alone. */
  public double edgeAccuracy() {
    return edgeAccuracy;
  }

  /** Accuracy of the cloud model alone. */
  public double cloudAccuracy() {
    return cloudAccuracy;
  }

  /** The most accurate threshold that keeps at least {@code share} of inputs on the edge. */
  public Choice forEdgeShare(double share) {
    if (!(share >= 0 && share <= 1)) {
      throw StrataException.invalid("target edge share: %s (expected: 0-1)", share);
    }
    CurvePoint best = null;
    for (CurvePoint p : curve) {
      if (p.edgeShare() >= share
          && (best == null
              || p.accuracy() > best.accuracy()
              || (p.accuracy() == best.accuracy() && p.edgeShare() > best.edgeShare()))) {
        best = p;
      }
    }
    return best == null ? new Choice(curve.getFirst(), false) : new Choice(best, true);
  }

  /**
   * The threshold with the highest edge share whose accuracy reaches {@code accuracy}; when none
   * does, the most accurate one, marked as missing the target.
   */
  public Choice forAccuracy(double accuracy) {
    if (!(accuracy >= 0 && accuracy <= 1)) {
      throw StrataException.invalid("target accuracy: %s (expected: 0-1)", accuracy);
    }
    CurvePoint best = null;
    CurvePoint mostAccurate = null;
    for (CurvePoint p : curve) {
      if (mostAccurate == null || p.accuracy() > mostAccurate.accuracy()) {
        mostAccurate = p;
      }
      if (p.accuracy() >= accuracy
          && (best == null
              || p.edgeShare() > best.edgeShare()
              || (p.edgeShare() == best.edgeShare() && p.accuracy() > best.accuracy()))) {
        best = p;
      }
    }
    return best == null ? new Choice(mostAccurate, false) : new Choice(best, true);
  }
}
