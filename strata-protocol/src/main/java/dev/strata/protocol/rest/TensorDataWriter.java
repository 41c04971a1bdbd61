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

  /** Writes {@code "data": [...]} for a fixed-size tensor. */
  static void write(JsonGenerator g, Tensor t) throws IOException {
    DataType type = t.datatype();
    ByteBuffer b = t.data();
    int n = (int) t.numElements();
    g.writeFieldName("data");
    g.writeStartArray();
    switch (type) {
      case BOOL -> {
        for (int i = 0; i < n; i++) {
          g.writeBoolean(b.get(i) != 0);
        }
      }
      case INT8 -> {
        for (int i = 0; i < n; i++) {
          g.writeNumber(b.get(i));
        }
      }
      case UINT8 -> {
        for (int i = 0; i < n; i++) {
          g.writeNumber(Byte.toUnsignedInt(b.get(i)));
        }
      }
      case INT16 -> {
        for (int i = 0; i < n; i++) {
          g.writeNumber(b.getShort(i * 2));
        }
      }
      case UINT16 -> {
        for (int i = 0; i < n; i++) {
          g.writeNumber(Short.toUnsignedInt(b.getShort(i * 2)));
        }
      }
      case INT32 -> {
        for (int i = 0; i < n; i++) {
          g.writeNumber(b.getInt(i * 4));
        }
      }
      case UINT32 -> {
        for (int i = 0; i < n; i++) {
          g.writeNumber(Integer.toUnsignedLong(b.getInt(i * 4)));
        }
      }
      case INT64 -> {
        for (int i = 0; i < n; i++) {
          g.writeNumber(b.getLong(i * 8));
        }
      }
      case UINT64 -> {
        for (int i = 0; i < n; i++) {
          long v = b.getLong(i * 8);
          if (v >= 0) {
            g.writeNumber(v);
          } else {
            g.writeNumber(Long.toUnsignedString(v));
          }
        }
      }
      case FP16 -> {
        for (int i = 0; i < n; i++) {
          g.writeNumber(Float.float16ToFloat(b.getShort(i * 2)));
        }
      }
      case BF16 -> {
        for (int i = 0; i < n; i++) {
          g.writeNumber(Float.intBitsToFloat((b.getShort(i * 2) & 0xffff) << 16));
        }
      }
      case FP32 -> {
        for (int i = 0; i < n; i++) {
          g.writeNumber(b.getFloat(i * 4));
        }
      }
      case FP64 -> {
        for (int i = 0; i < n; i++) {
          g.writeNumber(b.getDouble(i * 8));
        }
      }
      case BYTES -> throw new IllegalArgumentException("BYTES data is written with writeStrings");
    }
    g.writeEndArray();
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
    long perElement =
        switch (t.datatype()) {
          case BOOL -> 6;
          case INT8, UINT8 -> 5;
          case INT16, UINT16 -> 7;
          case INT32, UINT32, FP16, BF16 -> 12;
          case FP32 -> 16;
          case INT64, UINT64, FP64 -> 24;
          case BYTES -> 4;
        };
    long estimate = 96 + t.numElements() * perElement + (long) t.byteSize();
    return (int) Math.min(estimate, 1 << 26);
  }
}
