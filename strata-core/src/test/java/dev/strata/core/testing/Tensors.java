package dev.strata.core.testing;

import dev.strata.core.DataType;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Test tensors of every datatype: each type's edge values, or random ones. */
public final class Tensors {
  private Tensors() {}

  /** A [2, 3] tensor (BYTES: [3]) of {@code type} holding extreme and ordinary values. */
  public static Tensor sample(String name, DataType type) {
    Shape shape = Shape.of(2, 3);
    ByteBuffer b = ByteBuffer.allocate(type.isFixedSize() ? 6 * type.byteSize() : 0);
    b.order(ByteOrder.LITTLE_ENDIAN);
    switch (type) {
      case BOOL -> b.put(new byte[] {1, 0, 1, 1, 0, 0});
      case INT8 -> b.put(new byte[] {-128, 127, 0, -1, 1, 42});
      case UINT8 -> b.put(new byte[] {0, (byte) 255, 1, (byte) 128, 7, 8});
      case INT16 ->
          b.putShort(Short.MIN_VALUE)
              .putShort(Short.MAX_VALUE)
              .putShort((short) 0)
              .putShort((short) -1)
              .putShort((short) 300)
              .putShort((short) 9);
      case UINT16 ->
          b.putShort((short) 0xffff)
              .putShort((short) 0)
              .putShort((short) 0x8000)
              .putShort((short) 1)
              .putShort((short) 2)
              .putShort((short) 3);
      case INT32 ->
          b.putInt(Integer.MIN_VALUE)
              .putInt(Integer.MAX_VALUE)
              .putInt(0)
              .putInt(-1)
              .putInt(5)
              .putInt(6);
      case UINT32 -> b.putInt(-1).putInt(0).putInt(Integer.MIN_VALUE).putInt(1).putInt(2).putInt(3);
      case INT64 ->
          b.putLong(Long.MIN_VALUE)
              .putLong(Long.MAX_VALUE)
              .putLong(0)
              .putLong(-1)
              .putLong(5)
              .putLong(6);
      case UINT64 ->
          b.putLong(-1L).putLong(0).putLong(Long.MIN_VALUE).putLong(1).putLong(2).putLong(3);
      case FP16 -> {
        for (float f : new float[] {1.5f, -2.25f, 65504f, 0f, 6.1035156e-5f, Float.NaN}) {
          b.putShort(Float.floatToFloat16(f));
        }
      }
      case BF16 -> {
        for (float f :
            new float[] {1.5f, -2.25f, 3.3895314e38f, 0f, 1e-10f, Float.NEGATIVE_INFINITY}) {
          b.putShort((short) (Float.floatToRawIntBits(f) >>> 16));
        }
      }
      case FP32 ->
          b.putFloat(0.1f)
              .putFloat(-Float.MAX_VALUE)
              .putFloat(Float.MIN_VALUE)
              .putFloat(Float.NaN)
              .putFloat(Float.POSITIVE_INFINITY)
              .putFloat(1e-5f);
      case FP64 ->
          b.putDouble(0.1)
              .putDouble(-Double.MAX_VALUE)
              .putDouble(Double.MIN_VALUE)
              .putDouble(Double.NEGATIVE_INFINITY)
              .putDouble(Math.PI)
              .putDouble(1e300);
      case BYTES -> {
        return Tensor.ofStrings(
            name, Shape.of(3), List.of("", "héllo wörld", "\"quoted\"\n\u20ac"));
      }
    }
    return new Tensor(name, type, shape, b.flip());
  }

  /** The raw bytes of a tensor, for comparisons. */
  public static byte[] bytes(Tensor t) {
    ByteBuffer d = t.data();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return out;
  }

  /** A tensor of {@code type} with random values the type holds exactly (BYTES: UTF-8 text). */
  public static Tensor random(String name, DataType type, Shape shape, Random rnd) {
    int n = (int) shape.numElements();
    if (type == DataType.BYTES) {
      List<byte[]> elements = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        elements.add(("élément-" + rnd.nextInt(1000) + "-✓").getBytes(StandardCharsets.UTF_8));
      }
      elements.set(0, new byte[0]);
      return Tensor.ofBytes(name, shape, elements);
    }
    ByteBuffer b = ByteBuffer.allocate(n * type.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      switch (type) {
        case BOOL -> b.put((byte) (rnd.nextBoolean() ? 1 : 0));
        case UINT8, INT8 -> b.put((byte) rnd.nextInt());
        case INT16 -> b.putShort((short) rnd.nextInt());
        case INT32 -> b.putInt(rnd.nextInt());
        case INT64 -> b.putLong(rnd.nextLong());
        case FP16 -> b.putShort(Float.floatToFloat16((float) rnd.nextGaussian() * 100));
        case FP32 -> b.putFloat((float) rnd.nextGaussian() * 1e3f);
        case FP64 -> b.putDouble(rnd.nextGaussian() * 1e6);
        default -> throw new IllegalArgumentException(type.name());
      }
    }
    return new Tensor(name, type, shape, b.flip());
  }

  /** A batch of random 28x28 gray images, {@code [batch, 1, 28, 28]} FP32 in [0, 1). */
  public static Tensor image(String name, int batch, Random rnd) {
    float[] pixels = new float[batch * 28 * 28];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = rnd.nextFloat();
    }
    return Tensor.ofFloats(name, Shape.of(batch, 1, 28, 28), pixels);
  }
}
