package dev.strata.llm.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * ggml's block quantizations, as llama.cpp's reference encoders compute them: blocks of 32 values
 * with one half-float scale each.
 */
public final class Quantize {
  private static final int BLOCK = 32;

  private Quantize() {}

  /** Q8_0: {@code d = max|x| / 127}, {@code q = round(x / d)} as signed bytes. */
  public static byte[] q8_0(float[] x) {
    ByteBuffer out = ByteBuffer.allocate(x.length / BLOCK * 34).order(ByteOrder.LITTLE_ENDIAN);
    for (int b = 0; b < x.length; b += BLOCK) {
      float amax = 0;
      for (int i = 0; i < BLOCK; i++) {
        amax = Math.max(amax, Math.abs(x[b + i]));
      }
      float d = amax / 127f;
      float id = d != 0 ? 1f / d : 0f;
      out.putShort(Float.floatToFloat16(d));
      for (int i = 0; i < BLOCK; i++) {
        out.put((byte) Math.round(x[b + i] * id));
      }
    }
    return out.array();
  }

  /**
   * Q4_0: {@code d = m / -8} where {@code m} is the value of largest magnitude (its sign kept),
   * {@code q = min(15, (int) (x / d + 8.5))}; value {@code j} and {@code j + 16} of a block share a
   * byte (low and high nibble).
   */
  public static byte[] q4_0(float[] x) {
    ByteBuffer out = ByteBuffer.allocate(x.length / BLOCK * 18).order(ByteOrder.LITTLE_ENDIAN);
    for (int b = 0; b < x.length; b += BLOCK) {
      float amax = 0;
      float max = 0;
      for (int i = 0; i < BLOCK; i++) {
        float v = x[b + i];
        if (Math.abs(v) > amax) {
          amax = Math.abs(v);
          max = v;
        }
      }
      float d = max / -8f;
      float id = d != 0 ? 1f / d : 0f;
      out.putShort(Float.floatToFloat16(d));
      for (int j = 0; j < BLOCK / 2; j++) {
        int q0 = Math.min(15, (int) (x[b + j] * id + 8.5f));
        int q1 = Math.min(15, (int) (x[b + BLOCK / 2 + j] * id + 8.5f));
        out.put((byte) (q0 | (q1 << 4)));
      }
    }
    return out.array();
  }

  /** Decodes Q8_0 blocks (for tests and error measurements). */
  public static float[] dequantizeQ8_0(byte[] data, int count) {
    ByteBuffer in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    float[] x = new float[count];
    for (int b = 0; b < count; b += BLOCK) {
      float d = Float.float16ToFloat(in.getShort());
      for (int i = 0; i < BLOCK; i++) {
        x[b + i] = in.get() * d;
      }
    }
    return x;
  }

  /** Decodes Q4_0 blocks (for tests and error measurements). */
  public static float[] dequantizeQ4_0(byte[] data, int count) {
    ByteBuffer in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    float[] x = new float[count];
    for (int b = 0; b < count; b += BLOCK) {
      float d = Float.float16ToFloat(in.getShort());
      for (int j = 0; j < BLOCK / 2; j++) {
        int packed = in.get() & 0xff;
        x[b + j] = ((packed & 0x0f) - 8) * d;
        x[b + BLOCK / 2 + j] = ((packed >> 4) - 8) * d;
      }
    }
    return x;
  }
}
