package dev.strata.runtime;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.strata.core.DataType;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Set;

/**
 * Converts between Strata's raw tensor encoding and ONNX Runtime tensors. Fixed-size data is passed
 * as little-endian bytes, which is what ONNX Runtime reads on the little-endian machines it ships
 * for; BYTES elements become Java strings (UTF-8), which is how ONNX Runtime's Java API passes
 * string tensors.
 */
final class OrtTensors {
  /** The datatypes ONNX Runtime's Java API can feed and fetch. */
  static final Set<DataType> SUPPORTED =
      EnumSet.of(
          DataType.BOOL,
          DataType.UINT8,
          DataType.INT8,
          DataType.INT16,
          DataType.INT32,
          DataType.INT64,
          DataType.FP16,
          DataType.BF16,
          DataType.FP32,
          DataType.FP64,
          DataType.BYTES);

  /** The alignment ONNX Runtime gives its own CPU buffers, in bytes. */
  static final int ALIGNMENT = 64;

  private OrtTensors() {}

  static boolean supports(DataType type) {
    return SUPPORTED.contains(type);
  }

  static OnnxJavaType javaType(DataType type) {
    return switch (type) {
      case BOOL -> OnnxJavaType.BOOL;
      case UINT8 -> OnnxJavaType.UINT8;
      case INT8 -> OnnxJavaType.INT8;
      case INT16 -> OnnxJavaType.INT16;
      case INT32 -> OnnxJavaType.INT32;
      case INT64 -> OnnxJavaType.INT64;
      case FP16 -> OnnxJavaType.FLOAT16;
      case BF16 -> OnnxJavaType.BFLOAT16;
      case FP32 -> OnnxJavaType.FLOAT;
      case FP64 -> OnnxJavaType.DOUBLE;
      case BYTES -> OnnxJavaType.STRING;
      default ->
          throw StrataException.invalid(
              "datatype %s is not supported by ONNX Runtime's Java API (supported: %s)",
              type, SUPPORTED);
    };
  }

  /**
   * A tensor over a direct buffer in native order, which ONNX Runtime uses without copying; the
   * buffer must stay untouched until the tensor is closed.
   */
  static OnnxTensor wrap(OrtEnvironment env, ByteBuffer direct, long[] shape, OnnxJavaType type)
      throws OrtException {
    return OnnxTensor.createTensor(env, direct, shape, type);
  }

  /**
   * Checks that every element of a BYTES tensor bound for an ONNX string tensor is valid UTF-8:
   * ONNX Runtime's Java API passes strings, so other bytes could only arrive replaced (U+FFFD).
   *
   * @throws StrataException INVALID_ARGUMENT naming the input and the element
   */
  static void checkUtf8(Tensor t) {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer b = t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
    CharBuffer chars = CharBuffer.allocate(256);
    int element = 0;
    while (b.remaining() >= 4) {
      int len = b.getInt();
      if (len < 0 || len > b.remaining()) {
        return; // the tensor's own validation names a malformed encoding
      }
      ByteBuffer in = b.slice(b.position(), len);
      decoder.reset();
      CoderResult r;
      do {
        chars.clear();
        r = decoder.decode(in, chars, true);
      } while (r.isOverflow());
      if (r.isError()) {
        throw StrataException.invalid(
            "input '%s': element %d is not valid UTF-8 (byte %d of %d), which a string input"
                + " needs",
            t.name(), element, in.position(), len);
      }
      b.position(b.position() + len);
      element++;
    }
  }

  /** Decodes {@code count} BYTES elements from raw data into {@code out} from {@code at}. */
  static int decodeStrings(ByteBuffer raw, String[] out, int at) {
    ByteBuffer b = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int i = at;
    while (b.hasRemaining()) {
      int len = b.getInt();
      String s;
      if (b.hasArray()) {
        s = new String(b.array(), b.arrayOffset() + b.position(), len, StandardCharsets.UTF_8);
      } else {
        byte[] bytes = new byte[len];
        b.get(b.position(), bytes);
        s = new String(bytes, StandardCharsets.UTF_8);
      }
      b.position(b.position() + len);
      out[i++] = s;
    }
    return i;
  }

  /** Encodes strings {@code from .. to} of {@code values} in the raw BYTES encoding. */
  static ByteBuffer encodeStrings(String[] values, int from, int to) {
    byte[][] bytes = new byte[to - from][];
    long size = 0;
    for (int i = from; i < to; i++) {
      bytes[i - from] = values[i].getBytes(StandardCharsets.UTF_8);
      size += 4L + bytes[i - from].length;
    }
    if (size > Integer.MAX_VALUE) {
      throw StrataException.invalid("BYTES output of %d bytes is too large", size);
    }
    ByteBuffer out = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    for (byte[] e : bytes) {
      out.putInt(e.length).put(e);
    }
    return out.flip();
  }

  /** Every element of a string tensor, flattened in row-major order. */
  static String[] strings(OnnxTensor tensor) throws OrtException {
    int n = Math.toIntExact(tensor.getInfo().getNumElements());
    String[] out = new String[n];
    Object value = tensor.getValue();
    int filled = flatten(value, out, 0);
    if (filled != n) {
      throw new IllegalStateException(
          "string tensor has " + filled + " elements for " + n + " expected");
    }
    return out;
  }

  private static int flatten(Object value, String[] out, int at) {
    if (value instanceof String s) {
      out[at] = s;
      return at + 1;
    }
    if (value instanceof String[] strings) {
      System.arraycopy(strings, 0, out, at, strings.length);
      return at + strings.length;
    }
    int i = at;
    for (Object o : (Object[]) value) {
      i = flatten(o, out, i);
    }
    return i;
  }

  /** A direct buffer in native order of at least {@code bytes}, reusing {@code current}. */
  static ByteBuffer ensureDirect(ByteBuffer current, int bytes) {
    if (current != null && current.capacity() >= bytes) {
      return current.clear();
    }
    long grown = current == null ? bytes : Math.max(bytes, 2L * current.capacity());
    int capacity = (int) Math.min(Integer.MAX_VALUE - 8, grown);
    return ByteBuffer.allocateDirect(capacity).order(ByteOrder.nativeOrder());
  }
}
