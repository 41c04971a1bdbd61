package dev.strata.edge;

import static java.util.Objects.requireNonNull;

import dev.strata.control.ConfidenceMeasure;

/**
 * How confident a classifier is in one answer, from its class probabilities, for the cascade policy
 * and its calibration. Every score lies in 0-1:
 *
 * <ul>
 *   <li>{@link ConfidenceMeasure#MAX_PROBABILITY}: the top class's probability;
 *   <li>{@link ConfidenceMeasure#MARGIN}: the top class's probability minus the second's;
 *   <li>{@link ConfidenceMeasure#ENTROPY}: the distribution's entropy over {@code ln(classes)}, 0
 *       for a certain answer and 1 for a uniform one (so higher means less confident).
 * </ul>
 */
public final class Confidence {
  private Confidence() {}

  /** The score of one answer; {@code probabilities} sum to 1. */
  public static double score(ConfidenceMeasure measure, double[] probabilities) {
    requireNonNull(measure, "measure");
    if (probabilities.length == 0) {
      throw new IllegalArgumentException("probabilities: empty (expected: at least one class)");
    }
    return switch (measure) {
      case MAX_PROBABILITY -> top(probabilities)[0];
      case MARGIN -> {
        double[] t = top(probabilities);
        yield t[0] - t[1];
      }
      case ENTROPY -> normalisedEntropy(probabilities);
      case AGREEMENT ->
          throw new IllegalArgumentException(
              "agreement scores a language model's text, not class probabilities");
    };
  }

  /** Whether an answer with this score goes to the cloud. */
  public static boolean escalates(ConfidenceMeasure measure, double score, double threshold) {
    return measure == ConfidenceMeasure.ENTROPY ? score > threshold : score < threshold;
  }

  /** The less confident of two scores (for a batch: its least confident row decides). */
  public static double worst(ConfidenceMeasure measure, double a, double b) {
    return measure == ConfidenceMeasure.ENTROPY ? Math.max(a, b) : Math.min(a, b);
  }

  /** The most confident score a measure can give. */
  public static double best(ConfidenceMeasure measure) {
    return measure == ConfidenceMeasure.ENTROPY ? 0 : 1;
  }

  /** Softmax, stable for large logits. */
  public static double[] softmax(double[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : logits) {
      max = Math.max(max, v);
    }
    double[] out = new double[logits.length];
    double sum = 0;
    for (int i = 0; i < logits.length; i++) {
      out[i] = Math.exp(logits[i] - max);
      sum += out[i];
    }
    for (int i = 0; i < out.length; i++) {
      out[i] /= sum;
    }
    return out;
  }

  /** The logistic function, for a single-logit binary classifier. */
  public static double sigmoid(double logit) {
    return 1 / (1 + Math.exp(-logit));
  }

  /**
   * Whether the values already are a probability distribution: each in 0-1 and summing to 1 within
   * {@code 1e-3} (float32 softmax outputs do not sum to exactly 1).
   */
  public static boolean isDistribution(double[] values) {
    double sum = 0;
    for (double v : values) {
      if (!(v >= -1e-6 && v <= 1 + 1e-6)) {
        return false;
      }
      sum += v;
    }
    return Math.abs(sum - 1) <= 1e-3;
  }

  private static double[] top(double[] p) {
    double first = Double.NEGATIVE_INFINITY;
    double second = 0;
    for (double v : p) {
      if (v > first) {
        second = first;
        first = v;
      } else if (v > second) {
        second = v;
      }
    }
    return new double[] {first, p.length < 2 ? 0 : Math.max(0, second)};
  }

  private static double normalisedEntropy(double[] p) {
    if (p.length < 2) {
      return 0;
    }
    double h = 0;
    for (double v : p) {
      if (v > 0) {
        h -= v * Math.log(v);
      }
    }
    return Math.min(1, Math.max(0, h / Math.log(p.length)));
  }
}
