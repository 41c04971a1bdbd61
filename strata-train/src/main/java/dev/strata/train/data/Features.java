package dev.strata.train.data;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;

/**
 * Preprocessed samples ready for a network: {@code count} samples of {@code sampleShape}, stored
 * contiguously, with class labels (classification) or target values (regression).
 */
public record Features(float[] data, long[] sampleShape, int[] labels, float[] targets) {
  public Features {
    requireNonNull(data, "data");
    requireNonNull(sampleShape, "sampleShape");
    requireNonNull(labels, "labels");
    requireNonNull(targets, "targets");
    long per = 1;
    for (long d : sampleShape) {
      per *= d;
    }
    int n = Math.max(labels.length, targets.length);
    if (per * n != data.length) {
      throw StrataException.invalid(
          "features: %d values for %d samples of %d (expected: %d)", data.length, n, per, per * n);
    }
  }

  public int count() {
    return Math.max(labels.length, targets.length);
  }

  public int sampleSize() {
    long per = 1;
    for (long d : sampleShape) {
      per *= d;
    }
    return (int) per;
  }

  public boolean isClassification() {
    return targets.length == 0;
  }

  /** The samples at these indices. */
  public Features subset(int[] idx) {
    int per = sampleSize();
    float[] d = new float[idx.length * per];
    int[] lb = new int[isClassification() ? idx.length : 0];
    float[] tg = new float[isClassification() ? 0 : idx.length];
    for (int i = 0; i < idx.length; i++) {
      System.arraycopy(data, idx[i] * per, d, i * per, per);
      if (isClassification()) {
        lb[i] = labels[idx[i]];
      } else {
        tg[i] = targets[idx[i]];
      }
    }
    return new Features(d, sampleShape, lb, tg);
  }
}
