package dev.strata.onnx;

import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import dev.strata.core.StrataException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Reads and makes ONNX initializers (weights) as Java arrays. */
public final class Initializers {
  private Initializers() {}

  /** The number of elements of a tensor with these dimensions. */
  public static int size(long[] dims) {
    long n = 1;
    for (long d : dims) {
      n *= d;
    }
    return Math.toIntExact(n);
  }

  public static long[] dims(TensorProto t) {
    return t.getDimsList().stream().mapToLong(Long::longValue).toArray();
  }

  public static boolean isFloat(TensorProto t) {
    return t.getDataType() == TensorProto.DataType.FLOAT_VALUE;
  }

  /** The values of an FP32 tensor, from its raw data or its {@code float_data}. */
  public static float[] floats(TensorProto t) {
    if (!isFloat(t)) {
      throw StrataException.invalid(
          "initializer '%s' has data type %d (expected: FLOAT)", t.getName(), t.getDataType());
    }
    if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
      throw StrataException.invalid(
          "initializer '%s' is stored outside the model file (external data is not supported)",
          t.getName());
    }
    int n = size(dims(t));
    float[] out = new float[n];
    if (!t.getRawData().isEmpty()) {
      t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    } else {
      for (int i = 0; i < n; i++) {
        out[i] = t.getFloatData(i);
      }
    }
    return out;
  }

  public static TensorProto floats(String name, long[] dims, float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return raw(name, TensorProto.DataType.FLOAT, dims, b);
  }

  public static TensorProto int8(String name, long[] dims, byte[] values) {
    return raw(name, TensorProto.DataType.INT8, dims, ByteBuffer.wrap(values));
  }

  public static TensorProto uint8(String name, long[] dims, byte[] values) {
    return raw(name, TensorProto.DataType.UINT8, dims, ByteBuffer.wrap(values));
  }

  public static TensorProto int32(String name, long[] dims, int[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asIntBuffer().put(values);
    return raw(name, TensorProto.DataType.INT32, dims, b);
  }

  private static TensorProto raw(
      String name, TensorProto.DataType type, long[] dims, ByteBuffer data) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type.getNumber());
    for (long d : dims) {
      t.addDims(d);
    }
    return t.setRawData(ByteString.copyFrom(data)).build();
  }
}
