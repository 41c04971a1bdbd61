package dev.strata.federated.secagg;

/**
 * Inputs as 32-bit fixed point: each value clamped to the clipping range and scaled so that the
 * range maps onto 2^30; sums wrap mod 2^32 like Java ints, which is the group the masks live in.
 */
public final class FixedPoint {
  private FixedPoint() {}

  static int[] encode(float[] x, SecAggConfig config) {
    double r = config.clippingRange();
    double s = config.scale();
    int[] out = new int[x.length];
    for (int i = 0; i < x.length; i++) {
      double v = Math.max(-r, Math.min(r, x[i]));
      out[i] = (int) Math.round(v * s);
    }
    return out;
  }

  static float[] decode(int[] sum, SecAggConfig config) {
    double s = config.scale();
    float[] out = new float[sum.length];
    for (int i = 0; i < sum.length; i++) {
      out[i] = (float) (sum[i] / s);
    }
    return out;
  }

  /** The largest error the encoding adds to a sum of {@code n} inputs, per element. */
  public static double roundingError(int n, SecAggConfig config) {
    return n * 0.5 / config.scale();
  }
}
