package dev.strata.protocol.rest;

import ch.randelshofer.fastdoubleparser.JavaDoubleParser;
import ch.randelshofer.fastdoubleparser.JavaFloatParser;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.json.UTF8StreamJsonParser;
import dev.strata.core.DataType;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The fast path of {@link TensorDataReader} for FP32 and FP64 data: the array's numbers are read
 * straight from the body's bytes, each parsed once by FastDoubleParser, instead of being copied
 * into Jackson's text buffer as tokens and parsed from there (which took ~55 ns a number, most of a
 * small model's JSON request).
 *
 * <p>It accepts only what is certainly right: plain JSON numbers (RFC 8259 grammar), commas,
 * whitespace, and nesting that agrees with the shape as {@link TensorDataReader} checks it, with
 * the shape's element count and finite values. Anything else (NaN, Infinity, strings, an overflow,
 * a count or nesting that does not match) returns null without touching the parser, and the caller
 * reads the array token by token, which gives the error message.
 *
 * <p>On success the array's contents in the parser's input are overwritten with spaces and the
 * parser is moved to the array's {@code END_ARRAY}, past nothing but that whitespace. The input
 * must therefore be the parser's own, unshared copy: {@link InferRequestReader} parses one.
 */
final class NumberArrays {
  /** Longer number literals are left to Jackson (it limits their length). */
  private static final int MAX_NUMBER_LENGTH = 64;

  /** Deeper nesting is left to Jackson (it limits the depth). */
  private static final int MAX_RANK = 32;

  private final byte[] in;
  private final int end;
  private final long[] dims;
  private final boolean fp64;
  private final byte[] out;
  private final long capacity;
  private int pos;
  private long count;

  private static final VarHandle FLOAT_LE =
      MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle DOUBLE_LE =
      MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.LITTLE_ENDIAN);

  private NumberArrays(byte[] in, int pos, int end, long[] dims, boolean fp64, long expected) {
    this.in = in;
    this.pos = pos;
    this.end = end;
    this.dims = dims;
    this.fp64 = fp64;
    this.capacity = expected;
    this.out = new byte[Math.toIntExact(expected * (fp64 ? 8 : 4))];
  }

  /**
   * Reads the array at the parser's current START_ARRAY token, or returns null (the parser unmoved)
   * when the fast path does not apply.
   *
   * @param input the parser's input, which this method may overwrite (see the class comment)
   * @param inputOffset where the parser's input starts in {@code input}
   * @param inputEnd where it ends
   */
  static ByteBuffer tryRead(
      JsonParser p,
      byte[] input,
      int inputOffset,
      int inputEnd,
      DataType type,
      long[] dims,
      long expected)
      throws IOException {
    if (input == null
        || (type != DataType.FP32 && type != DataType.FP64)
        || !(p instanceof UTF8StreamJsonParser)
        || dims.length == 0
        || dims.length > MAX_RANK) {
      return null;
    }
    long at = p.currentTokenLocation().getByteOffset();
    if (at < 0 || inputOffset + at >= inputEnd || input[inputOffset + (int) at] != '[') {
      return null;
    }
    int open = inputOffset + (int) at;
    NumberArrays r =
        new NumberArrays(input, open + 1, inputEnd, dims, type == DataType.FP64, expected);
    if (!r.level(0) || r.count != expected) {
      return null;
    }
    int close = r.pos - 1; // the outer array's ']'
    Arrays.fill(input, open + 1, close, (byte) ' ');
    p.nextToken();
    if (p.currentTokenLocation().getByteOffset() != close - inputOffset) {
      // Jackson did not read the array from this input: a broken assumption, not the client's.
      throw new IllegalStateException("JSON parser is not reading the buffer it was given");
    }
    return ByteBuffer.wrap(r.out).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Reads one array whose '[' is just before {@link #pos}; false when the fast path gives up. */
  private boolean level(int depth) {
    skipWhitespace();
    if (pos >= end) {
      return false;
    }
    if (in[pos] == '[') {
      if (depth + 1 >= dims.length) {
        return false;
      }
      long n = 0;
      while (true) {
        if (pos >= end || in[pos] != '[') {
          return false;
        }
        pos++;
        if (!level(depth + 1)) {
          return false;
        }
        n++;
        if (!separator()) {
          return false;
        }
        if (in[pos - 1] == ']') {
          break;
        }
      }
      return n == dims[depth];
    }
    long before = count;
    if (in[pos] == ']') {
      pos++;
    } else {
      do {
        if (!number()) {
          return false;
        }
        if (!separator()) {
          return false;
        }
      } while (in[pos - 1] != ']');
    }
    if (depth > 0) {
      long want = 1;
      for (int i = depth; i < dims.length; i++) {
        want *= dims[i];
      }
      return count - before == want;
    }
    return true;
  }

  /** Skips whitespace and one ',' or ']' (then {@code in[pos - 1]} says which); false otherwise. */
  private boolean separator() {
    skipWhitespace();
    if (pos >= end) {
      return false;
    }
    byte b = in[pos];
    if (b != ',' && b != ']') {
      return false;
    }
    pos++;
    if (b == ',') {
      skipWhitespace();
    }
    return true;
  }

  private void skipWhitespace() {
    while (pos < end) {
      byte b = in[pos];
      if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
        return;
      }
      pos++;
    }
  }

  /** Parses one number at {@link #pos} in RFC 8259's grammar; false for anything else. */
  private boolean number() {
    int start = pos;
    int i = pos;
    if (i < end && in[i] == '-') {
      i++;
    }
    if (i >= end) {
      return false;
    }
    if (in[i] == '0') {
      i++;
    } else if (in[i] >= '1' && in[i] <= '9') {
      i = digits(i);
    } else {
      return false;
    }
    if (i < end && in[i] == '.') {
      int d = digits(i + 1);
      if (d == i + 1) {
        return false;
      }
      i = d;
    }
    if (i < end && (in[i] == 'e' || in[i] == 'E')) {
      i++;
      if (i < end && (in[i] == '+' || in[i] == '-')) {
        i++;
      }
      int d = digits(i);
      if (d == i) {
        return false;
      }
      i = d;
    }
    int length = i - start;
    if (length > MAX_NUMBER_LENGTH) {
      return false;
    }
    if (count >= capacity) {
      return false; // more values than the shape holds
    }
    if (fp64) {
      double v = JavaDoubleParser.parseDouble(in, start, length);
      if (Double.isInfinite(v)) {
        return false;
      }
      DOUBLE_LE.set(out, (int) count * 8, v);
    } else {
      float v = JavaFloatParser.parseFloat(in, start, length);
      if (Float.isInfinite(v)) {
        return false;
      }
      FLOAT_LE.set(out, (int) count * 4, v);
    }
    count++;
    pos = i;
    return true;
  }

  private int digits(int i) {
    while (i < end && in[i] >= '0' && in[i] <= '9') {
      i++;
    }
    return i;
  }
}
