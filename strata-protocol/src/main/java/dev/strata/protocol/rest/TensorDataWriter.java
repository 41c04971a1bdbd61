package dev.strata.protocol.rest;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.strata.core.DataType;
import dev.strata.core.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** Writes a tensor's raw data as a flat JSON array, and says when JSON cannot carry it. */
final class TensorDataWriter {
  private TensorDataWriter() {}

  /**
   * The elements of a BYTES tensor as strings, or empty when one of them is not valid UTF-8: JSON
   * strings cannot carry such bytes without loss, so the caller sends that tensor as binary data.
   */
  static Optional<String[]> utf8Strings(Tensor t) {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder();
    ByteBuffer b = t.data();
    String[] out = new String[(int) t.numElements()];
    for (int i = 0; i < out.length; i++) {
      int len = b.getInt();
      ByteBuffer element = b.slice(b.position(), len);
      b.position(b.position() + len);
      try {
        CharBuffer chars = decoder.decode(element);
        out[i] = chars.toString();
      } catch (CharacterCodingException e) {
        return Optional.empty();
      }
    }
    return Optional.of(out);
  }

  /**
   * Writes {@code "data": [...]} for a fixed-size tensor. The numbers are formatted by {@link
   * StringBuilder}, which appends them without making a String each (as {@code writeNumber} does),
   * and the array goes to the generator as one raw value. Non-finite floats come out as bare {@code
   * NaN}, {@code Infinity} and {@code -Infinity}.
   */
  static void write(JsonGenerator g, Tensor t) throws IOException {
    DataType type = t.datatype();
    ByteBuffer b = t.data();
    int n = (int) t.numElements();
    StringBuilder sb = new StringBuilder(2 + n * charsPerElement(type));
    sb.append('[');
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        sb.append(',');
      }
      switch (type) {
        case BOOL -> sb.append(b.get(i) != 0);
        case INT8 -> sb.append(b.get(i));
        case UINT8 -> sb.append(Byte.toUnsignedInt(b.get(i)));
        case INT16 -> sb.append(b.getShort(i * 2));
        case UINT16 -> sb.append(Short.toUnsignedInt(b.getShort(i * 2)));
        case INT32 -> sb.append(b.getInt(i * 4));
        case UINT32 -> sb.append(Integer.toUnsignedLong(b.getInt(i * 4)));
        case INT64 -> sb.append(b.getLong(i * 8));
        case UINT64 -> {
          long v = b.getLong(i * 8);
          if (v >= 0) {
            sb.append(v);
          } else {
            sb.append(Long.toUnsignedString(v));
          }
        }
        case FP16 -> sb.append(Float.float16ToFloat(b.getShort(i * 2)));
        case BF16 -> sb.append(Float.intBitsToFloat((b.getShort(i * 2) & 0xffff) << 16));
        case FP32 -> sb.append(b.getFloat(i * 4));
        case FP64 -> sb.append(b.getDouble(i * 8));
        case BYTES -> throw new IllegalArgumentException("BYTES data is written with writeStrings");
      }
    }
    sb.append(']');
    g.writeFieldName("data");
    g.writeRawValue(sb.toString());
  }

  private static int charsPerElement(DataType type) {
    return switch (type) {
      case BOOL -> 6;
      case INT8, UINT8 -> 5;
      case INT16, UINT16 -> 7;
      case INT32, UINT32, FP16, BF16 -> 12;
      case FP32 -> 16;
      case INT64, UINT64, FP64 -> 24;
      case BYTES -> 4;
    };
  }

  /** Writes {@code "data": [...]} for a BYTES tensor whose elements are valid UTF-8. */
  static void writeStrings(JsonGenerator g, String[] elements) throws IOException {
    g.writeFieldName("data");
    g.writeStartArray();
    for (String s : elements) {
      g.writeString(s);
    }
    g.writeEndArray();
  }

  /** A rough size of the JSON for a tensor, to size the output buffer once. */
  static int estimate(Tensor t) {
    long perElement = charsPerElement(t.datatype());
    long estimate = 96 + t.numElements() * perElement + (long) t.byteSize();
    return (int) Math.min(estimate, 1 << 26);
  }
}
