package dev.strata.protocol.rest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.NumberInput;
import dev.strata.core.DataType;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a JSON {@code data} array straight into the raw little-endian form of its datatype, one
 * number at a time: no intermediate boxes, lists or trees for fixed-size types.
 *
 * <p>The array may be flat or nested. Nesting must agree with the shape, read row-major: an array
 * of arrays at depth {@code d} has {@code shape[d]} elements, and an array of values at depth
 * {@code d} holds the {@code shape[d] * ... * shape[rank-1]} values of that sub-tensor. A flat
 * array is the case {@code d = 0}.
 */
final class TensorDataReader {
  private static final BigInteger UINT64_LIMIT = BigInteger.ONE.shiftLeft(64);

  private final JsonParser p;
  private final String label;
  private final DataType type;
  private final long[] dims;
  private final long expected;
  private final ByteBuffer out;
  private final List<byte[]> strings;
  private long bytesSize;
  private long count;

  private TensorDataReader(
      JsonParser p, String label, DataType type, Shape shape, long expected, boolean store) {
    this.p = p;
    this.label = label;
    this.type = type;
    this.dims = shape.toArray();
    this.expected = expected;
    if (type == DataType.BYTES) {
      this.out = null;
      this.strings = new ArrayList<>(store ? (int) Math.min(expected, 1 << 16) : 0);
    } else {
      this.out =
          store
              ? ByteBuffer.allocate(Math.toIntExact(expected * type.byteSize()))
                  .order(ByteOrder.LITTLE_ENDIAN)
              : null;
      this.strings = null;
    }
  }

  /**
   * Reads the array at the parser's current {@code START_ARRAY} token and returns its raw data,
   * positioned at 0 and little-endian.
   *
   * @param expected the element count of {@code shape}
   * @param store false when the shape is too large to be honest (more elements than the body has
   *     bytes): the array is only counted, and the count mismatch reported
   */
  static ByteBuffer read(
      JsonParser p, String label, DataType type, Shape shape, long expected, boolean store)
      throws IOException {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw StrataException.invalid("%s: data is %s (expected: an array)", label, Json.describe(p));
    }
    TensorDataReader r = new TensorDataReader(p, label, type, shape, expected, store);
    r.readLevel(0);
    if (r.count != expected) {
      throw StrataException.invalid(
          "%s: data has %d elements for shape %s (expected: %d)", label, r.count, shape, expected);
    }
    return r.result();
  }

  private ByteBuffer result() {
    if (type != DataType.BYTES) {
      return out.flip();
    }
    if (bytesSize > Integer.MAX_VALUE) {
      throw StrataException.invalid("%s: BYTES data of %d bytes is too large", label, bytesSize);
    }
    ByteBuffer b = ByteBuffer.allocate((int) bytesSize).order(ByteOrder.LITTLE_ENDIAN);
    for (byte[] s : strings) {
      b.putInt(s.length).put(s);
    }
    return b.flip();
  }

  /** Reads one array whose START_ARRAY is the current token, at nesting depth {@code depth}. */
  private void readLevel(int depth) throws IOException {
    JsonToken t = Json.next(p);
    if (t == JsonToken.START_ARRAY) {
      if (depth + 1 >= dims.length) {
        throw nesting(depth + 1, "is nested deeper than the shape's rank " + dims.length);
      }
      long n = 0;
      do {
        if (t != JsonToken.START_ARRAY) {
          throw nesting(depth, "mixes arrays and values");
        }
        readLevel(depth + 1);
        n++;
        t = Json.next(p);
      } while (t != JsonToken.END_ARRAY);
      if (n != dims[depth]) {
        throw nesting(depth, "has " + n + " arrays (expected: " + dims[depth] + ")");
      }
      return;
    }
    long before = count;
    while (t != JsonToken.END_ARRAY) {
      if (t == JsonToken.START_ARRAY) {
        throw nesting(depth, "mixes arrays and values");
      }
      readScalar(t);
      t = Json.next(p);
    }
    if (depth > 0) {
      long want = 1;
      for (int i = depth; i < dims.length; i++) {
        want *= dims[i];
      }
      if (count - before != want) {
        throw nesting(depth, "has " + (count - before) + " values (expected: " + want + ")");
      }
    }
  }

  private StrataException nesting(int depth, String problem) {
    return StrataException.invalid(
        "%s: data nesting does not match shape %s: an array at depth %d %s",
        label, Shape.of(dims), depth, problem);
  }

  private void readScalar(JsonToken t) throws IOException {
    boolean store = count < expected && (out != null || strings != null);
    switch (type) {
      case BOOL -> {
        if (t != JsonToken.VALUE_TRUE && t != JsonToken.VALUE_FALSE) {
          throw wrongType("a boolean");
        }
        if (store) {
          out.put((byte) (t == JsonToken.VALUE_TRUE ? 1 : 0));
        }
      }
      case INT8 -> {
        long v = integer(t, Byte.MIN_VALUE, Byte.MAX_VALUE);
        if (store) {
          out.put((byte) v);
        }
      }
      case UINT8 -> {
        long v = integer(t, 0, 0xff);
        if (store) {
          out.put((byte) v);
        }
      }
      case INT16 -> {
        long v = integer(t, Short.MIN_VALUE, Short.MAX_VALUE);
        if (store) {
          out.putShort((short) v);
        }
      }
      case UINT16 -> {
        long v = integer(t, 0, 0xffff);
        if (store) {
          out.putShort((short) v);
        }
      }
      case INT32 -> {
        long v = integer(t, Integer.MIN_VALUE, Integer.MAX_VALUE);
        if (store) {
          out.putInt((int) v);
        }
      }
      case UINT32 -> {
        long v = integer(t, 0, 0xffffffffL);
        if (store) {
          out.putInt((int) v);
        }
      }
      case INT64 -> {
        long v = integer(t, Long.MIN_VALUE, Long.MAX_VALUE);
        if (store) {
          out.putLong(v);
        }
      }
      case UINT64 -> {
        long v = uint64(t);
        if (store) {
          out.putLong(v);
        }
      }
      case FP16 -> {
        float f = floatValue(t);
        short h = Float.floatToFloat16(f);
        if (Float.isFinite(f) && Float.isInfinite(Float.float16ToFloat(h))) {
          throw outOfRange("-65504..65504");
        }
        if (store) {
          out.putShort(h);
        }
      }
      case BF16 -> {
        float f = floatValue(t);
        short h = toBfloat16(f);
        if (Float.isFinite(f) && Float.isInfinite(Float.intBitsToFloat(h << 16))) {
          throw outOfRange("the finite BF16 range");
        }
        if (store) {
          out.putShort(h);
        }
      }
      case FP32 -> {
        float f = floatValue(t);
        if (store) {
          out.putFloat(f);
        }
      }
      case FP64 -> {
        double d = doubleValue(t);
        if (store) {
          out.putDouble(d);
        }
      }
      case BYTES -> {
        if (t != JsonToken.VALUE_STRING) {
          throw wrongType("a string");
        }
        if (store) {
          byte[] s = p.getText().getBytes(StandardCharsets.UTF_8);
          bytesSize += 4L + s.length;
          strings.add(s);
        }
      }
    }
    count++;
  }

  private long integer(JsonToken t, long min, long max) throws IOException {
    if (t != JsonToken.VALUE_NUMBER_INT) {
      throw wrongType("an integer");
    }
    if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
      throw outOfRange(min + ".." + max);
    }
    long v = p.getLongValue();
    if (v < min || v > max) {
      throw outOfRange(min + ".." + max);
    }
    return v;
  }

  private long uint64(JsonToken t) throws IOException {
    if (t != JsonToken.VALUE_NUMBER_INT) {
      throw wrongType("an integer");
    }
    if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
      BigInteger v = p.getBigIntegerValue();
      if (v.signum() < 0 || v.compareTo(UINT64_LIMIT) >= 0) {
        throw outOfRange("0..18446744073709551615");
      }
      return v.longValue();
    }
    long v = p.getLongValue();
    if (v < 0) {
      throw outOfRange("0..18446744073709551615");
    }
    return v;
  }

  private float floatValue(JsonToken t) throws IOException {
    if (t != JsonToken.VALUE_NUMBER_FLOAT && t != JsonToken.VALUE_NUMBER_INT) {
      throw wrongType("a number");
    }
    // Parse from the parser's own character buffer: getFloatValue() would make a String first.
    float f =
        NumberInput.parseFloat(p.getTextCharacters(), p.getTextOffset(), p.getTextLength(), true);
    if (Float.isInfinite(f)) {
      checkOverflow("the finite " + type + " range");
    }
    return f;
  }

  private double doubleValue(JsonToken t) throws IOException {
    if (t != JsonToken.VALUE_NUMBER_FLOAT && t != JsonToken.VALUE_NUMBER_INT) {
      throw wrongType("a number");
    }
    double d =
        NumberInput.parseDouble(p.getTextCharacters(), p.getTextOffset(), p.getTextLength(), true);
    if (Double.isInfinite(d)) {
      checkOverflow("the finite FP64 range");
    }
    return d;
  }

  /** An infinity is fine when the JSON said Infinity, and an overflow when it said 1e999. */
  private void checkOverflow(String range) throws IOException {
    if (!p.getText().contains("Infinity")) {
      throw outOfRange(range);
    }
  }

  /** Rounds to the nearest BF16, ties to even; NaN stays a (quiet) NaN. */
  static short toBfloat16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (short) ((bits >>> 16) | 0x0040);
    }
    int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
    return (short) (rounded >>> 16);
  }

  private StrataException wrongType(String wanted) throws IOException {
    return StrataException.invalid(
        "%s: element %d is %s (expected: %s for %s)", label, count, Json.describe(p), wanted, type);
  }

  private StrataException outOfRange(String range) throws IOException {
    return StrataException.invalid(
        "%s: element %d, %s, is out of range for %s (expected: %s)",
        label, count, p.getText(), type, range);
  }
}
