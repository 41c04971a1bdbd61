package dev.strata.serving;

import dev.strata.core.DataType;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Random test tensors of every datatype, with values the type can hold exactly. */
final class Tensors {
  private Tensors() {}

  static Tensor random(String name, DataType type, Shape shape, Random rnd) {
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

  static Tensor image(String name, int batch, Random rnd) {
    float[] pixels = new float[batch * 28 * 28];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = rnd.nextFloat();
    }
    return Tensor.ofFloats(name, Shape.of(batch, 1, 28, 28), pixels);
  }
}
