package dev.strata.compress.quantize;

/**
 * The int8 arithmetic of ONNX's QuantizeLinear: {@code q = saturate(round(x / scale) + zero_point)}
 * with round half to even. Weights are int8 and symmetric (zero point 0, range ±127, per tensor or
 * per output channel); activations are uint8 and asymmetric over their calibrated range, which the
 * U8S8 kernels of ONNX Runtime on x86 (VNNI) take.
 */
public final class Int8 {
  private Int8() {}

  /** A uint8 activation's scale and zero point for a range that contains 0. */
  public record Activation(float scale, int zeroPoint) {
    public static Activation of(Calibration.Range r) {
      float span = r.max() - r.min();
      float scale = span > 0 ? span / 255f : 1f;
      int zp = (int) Math.rint(-r.min() / scale);
      return new Activation(scale, Math.max(0, Math.min(255, zp)));
    }
  }

  /** Symmetric int8 weights with one scale per channel (or one for all). */
  public record Weights(byte[] values, float[] scales) {}

  /**
   * Quantizes a weight tensor.
   *
   * @param channels the number of channels along {@code axis} (1 for per-tensor)
   * @param axis the channel axis of {@code dims}
   */
  public static Weights weights(float[] w, long[] dims, int axis, boolean perChannel) {
    return weights(w, dims, axis, perChannel, 127);
  }

  /** Quantizes a weight tensor to the symmetric range ±{@code limit} (127, or 63 reduced). */
  public static Weights weights(float[] w, long[] dims, int axis, boolean perChannel, int limit) {
    int channels = perChannel ? (int) dims[axis] : 1;
    long inner = 1;
    for (int d = axis + 1; d < dims.length; d++) {
      inner *= dims[d];
    }
    float[] absMax = new float[channels];
    for (int i = 0; i < w.length; i++) {
      int c = perChannel ? (int) ((i / inner) % dims[axis]) : 0;
      absMax[c] = Math.max(absMax[c], Math.abs(w[i]));
    }
    float[] scales = new float[channels];
    for (int c = 0; c < channels; c++) {
      scales[c] = absMax[c] > 0 ? absMax[c] / limit : 1f;
    }
    byte[] q = new byte[w.length];
    for (int i = 0; i < w.length; i++) {
      int c = perChannel ? (int) ((i / inner) % dims[axis]) : 0;
      q[i] = (byte) Math.max(-limit, Math.min(limit, Math.rint(w[i] / scales[c])));
    }
    return new Weights(q, scales);
  }

  /** A bias as int32 at scale {@code inputScale · weightScale[c]} (what QLinearConv adds). */
  public static int[] bias(float[] b, float inputScale, float[] weightScales) {
    int[] q = new int[b.length];
    for (int c = 0; c < b.length; c++) {
      double s = (double) inputScale * weightScales[weightScales.length == 1 ? 0 : c];
      q[c] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, Math.rint(b[c] / s)));
    }
    return q;
  }

  /** The scales of a bias, per channel (the product of input and weight scales). */
  public static float[] biasScales(int channels, float inputScale, float[] weightScales) {
    float[] s = new float[channels];
    for (int c = 0; c < channels; c++) {
      s[c] = inputScale * weightScales[weightScales.length == 1 ? 0 : c];
    }
    return s;
  }
}
