package dev.strata.cli.demo;

import java.util.Locale;

/** What the cascade threshold is calibrated for. */
sealed interface CascadeTarget {
  /**
   * The default share kept on the edge. On the reference models the two agree on the three quarters
   * of inputs the edge is surest of (the calibration curve is flat there), so escalating the least
   * sure fifth brings the cascade to about the cloud's accuracy while the cloud sees one request in
   * five.
   */
  double DEFAULT_EDGE_SHARE = 0.8;

  /**
   * The threshold that keeps {@code share} of the calibration images on the edge: the confidence
   * quantile, a choice that carries over to new images far better than picking the most accurate
   * point of a noisy, flat curve.
   */
  record EdgeShare(double share) implements CascadeTarget {
    public EdgeShare {
      if (!(share >= 0 && share <= 1)) {
        throw new IllegalArgumentException("--edge-share: " + share + " (expected: 0-1)");
      }
    }
  }

  /** The largest edge share whose cascade reaches this accuracy on the calibration images. */
  record Accuracy(double accuracy) implements CascadeTarget {
    public Accuracy {
      if (!(accuracy >= 0 && accuracy <= 1)) {
        throw new IllegalArgumentException("--target-accuracy: " + accuracy + " (expected: 0-1)");
      }
    }
  }

  /** For people: what was asked for. */
  default String describe() {
    return switch (this) {
      case EdgeShare s -> String.format(Locale.ROOT, "edge share %.0f%%", s.share() * 100);
      case Accuracy a -> String.format(Locale.ROOT, "accuracy >= %.2f%%", a.accuracy() * 100);
    };
  }
}
