package dev.strata.protocol.grpc;

import com.google.protobuf.ByteString;
import dev.strata.core.DataType;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Tensor data in {@link InferTensorContents}, the typed alternative to raw contents: each datatype
 * has one repeated field (INT8 and INT16 share {@code int_contents} with INT32, UINT8 and UINT16
 * share {@code uint_contents} with UINT32); FP16 and BF16 have none and must travel raw.
 */
final class TypedContents {
  private TypedContents() {}

  /** Reads the field of {@code type} into raw little-endian data, checking count and ranges. */
  static ByteBuffer decode(
      String label, DataType type, Shape shape, long elements, InferTensorContents c) {
    int total =
        c.getBoolContentsCount()
            + c.getIntContentsCount()
            + c.getInt64ContentsCount()
            + c.getUintContentsCount()
            + c.getUint64ContentsCount()
            + c.getFp32ContentsCount()
            + c.getFp64ContentsCount()
            + c.getBytesContentsCount();
    int n =
        switch (type) {
          case BOOL -> c.getBoolContentsCount();
          case INT8, INT16, INT32 -> c.getIntContentsCount();
          case INT64 -> c.getInt64ContentsCount();
          case UINT8, UINT16, UINT32 -> c.getUintContentsCount();
          case UINT64 -> c.getUint64ContentsCount();
          case FP32 -> c.getFp32ContentsCount();
          case FP64 -> c.getFp64ContentsCount();
          case BYTES -> c.getBytesContentsCount();
          case FP16, BF16 -> {
            if (total != 0) {
              throw StrataException.invalid(
                  "%s: %s has no typed contents field (expected: raw contents)", label, type);
            }
            yield 0;
          }
        };
    if (n != total) {
      throw StrataException.invalid(
          "%s: contents has values in a field other than the one for %s (%s)",
          label, type, fieldName(type));
    }
    if (n != elements) {
      throw StrataException.invalid(
          "%s: contents.%s has %d values for shape %s (expected: %d)",
          label, fieldName(type), n, shape, elements);
    }
    if (type == DataType.BYTES) {
      long size = 0;
      for (int i = 0; i < n; i++) {
        size += 4L + c.getBytesContents(i).size();
      }
      if (size > Integer.MAX_VALUE) {
        throw StrataException.invalid("%s: BYTES data of %d bytes is too large", label, size);
      }
      ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < n; i++) {
        ByteString s = c.getBytesContents(i);
        b.putInt(s.size());
        s.copyTo(b);
      }
      return b.flip();
    }
    ByteBuffer b = ByteBuffer.allocate(n * type.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      switch (type) {
        case BOOL -> b.put((byte) (c.getBoolContents(i) ? 1 : 0));
        case INT8 ->
            b.put(
                (byte) signed(label, type, i, c.getIntContents(i), Byte.MIN_VALUE, Byte.MAX_VALUE));
        case INT16 ->
            b.putShort(
                (short)
                    signed(label, type, i, c.getIntContents(i), Short.MIN_VALUE, Short.MAX_VALUE));
        case INT32 -> b.putInt(c.getIntContents(i));
        case INT64 -> b.putLong(c.getInt64Contents(i));
        case UINT8 -> b.put((byte) unsigned(label, type, i, c.getUintContents(i), 0xff));
        case UINT16 -> b.putShort((short) unsigned(label, type, i, c.getUintContents(i), 0xffff));
        case UINT32 -> b.putInt(c.getUintContents(i));
        case UINT64 -> b.putLong(c.getUint64Contents(i));
        case FP32 -> b.putFloat(c.getFp32Contents(i));
        case FP64 -> b.putDouble(c.getFp64Contents(i));
        default -> throw new IllegalStateException(type.name());
      }
    }
    return b.flip();
  }

  private static int signed(String label, DataType type, int i, int v, int min, int max) {
    if (v < min || v > max) {
      throw StrataException.invalid(
          "%s: element %d, %d, is out of range for %s (expected: %d..%d)",
          label, i, v, type, min, max);
    }
    return v;
  }

  private static int unsigned(String label, DataType type, int i, int v, int max) {
    if (Integer.toUnsignedLong(v) > max) {
      throw StrataException.invalid(
          "%s: element %d, %d, is out of range for %s (expected: 0..%d)",
          label, i, Integer.toUnsignedLong(v), type, max);
    }
    return v;
  }

  /** The typed contents of a tensor; FP16 and BF16 cannot be written this way. */
  static InferTensorContents encode(Tensor t) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    ByteBuffer b = t.data();
    int n = (int) t.numElements();
    for (int i = 0; i < n; i++) {
      switch (t.datatype()) {
        case BOOL -> c.addBoolContents(b.get(i) != 0);
        case INT8 -> c.addIntContents(b.get(i));
        case INT16 -> c.addIntContents(b.getShort(i * 2));
        case INT32 -> c.addIntContents(b.getInt(i * 4));
        case INT64 -> c.addInt64Contents(b.getLong(i * 8));
        case UINT8 -> c.addUintContents(Byte.toUnsignedInt(b.get(i)));
        case UINT16 -> c.addUintContents(Short.toUnsignedInt(b.getShort(i * 2)));
        case UINT32 -> c.addUintContents(b.getInt(i * 4));
        case UINT64 -> c.addUint64Contents(b.getLong(i * 8));
        case FP32 -> c.addFp32Contents(b.getFloat(i * 4));
        case FP64 -> c.addFp64Contents(b.getDouble(i * 8));
        case BYTES -> {
          int len = b.getInt();
          c.addBytesContents(ByteString.copyFrom(b.slice(b.position(), len)));
          b.position(b.position() + len);
        }
        case FP16, BF16 ->
            throw StrataException.invalid(
                "tensor '%s': %s has no typed contents field (expected: raw contents)",
                t.name(), t.datatype());
      }
    }
    return c.build();
  }

  /** Whether a datatype has a typed contents field. */
  static boolean hasTypedField(DataType type) {
    return type != DataType.FP16 && type != DataType.BF16;
  }

  private static String fieldName(DataType type) {
    return switch (type) {
      case BOOL -> "bool_contents";
      case INT8, INT16, INT32 -> "int_contents";
      case INT64 -> "int64_contents";
      case UINT8, UINT16, UINT32 -> "uint_contents";
      case UINT64 -> "uint64_contents";
      case FP32 -> "fp32_contents";
      case FP64 -> "fp64_contents";
      case BYTES -> "bytes_contents";
      case FP16, BF16 -> "none";
    };
  }
}
