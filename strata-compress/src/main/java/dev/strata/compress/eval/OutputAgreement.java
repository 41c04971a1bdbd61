package dev.strata.compress.eval;

/**
 * How close a compressed model's output vectors are to the original's, sample by sample: mean and
 * smallest cosine similarity, largest and mean absolute difference of the elements.
 */
public record OutputAgreement(
    int samples, double meanCosine, double minCosine, double maxAbsError, double meanAbsError) {

  /** Accumulates pairs of vectors. */
  public static final class Builder {
    private int n;
    private double cosSum;
    private double cosMin = Double.POSITIVE_INFINITY;
    private double maxAbs;
    private double absSum;
    private long elements;

    public Builder add(float[] original, float[] compressed) {
      double dot = 0;
      double na = 0;
      double nb = 0;
      for (int i = 0; i < original.length; i++) {
        dot += (double) original[i] * compressed[i];
        na += (double) original[i] * original[i];
        nb += (double) compressed[i] * compressed[i];
        double d = Math.abs(original[i] - compressed[i]);
        maxAbs = Math.max(maxAbs, d);
        absSum += d;
      }
      elements += original.length;
      double cos = na == 0 || nb == 0 ? (na == nb ? 1 : 0) : dot / Math.sqrt(na * nb);
      cosSum += cos;
      cosMin = Math.min(cosMin, cos);
      n++;
      return this;
    }

    public OutputAgreement build() {
      return new OutputAgreement(
          n,
          n == 0 ? 0 : cosSum / n,
          n == 0 ? 0 : cosMin,
          maxAbs,
          elements == 0 ? 0 : absSum / elements);
    }
  }
}
