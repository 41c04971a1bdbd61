package dev.strata.protocol.rest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.strata.core.DataType;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.protocol.OipNames;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;

/**
 * Reads one tensor object of a request's {@code inputs} or a response's {@code outputs}: {@code
 * name}, {@code datatype}, {@code shape}, {@code parameters} and {@code data}.
 *
 * <p>Clients write {@code data} last, so the datatype and shape are known when it arrives and the
 * numbers go straight into a buffer of the right size. When {@code data} comes first, its bytes are
 * skipped and parsed again once the object has been read.
 */
final class TensorObjectReader {
  private TensorObjectReader() {}

  /** What one tensor object said; {@code data} is null when the tensor travels as binary. */
  static final class Parsed {
    String label;
    String name;
    DataType datatype;
    Shape shape;
    Map<String, Object> parameters = Map.of();
    ByteBuffer data;
    long binarySize = -1;
  }

  /**
   * Reads the object at the current START_OBJECT token.
   *
   * @param role "input" or "output", for messages
   * @param body the array the parser reads, to parse a deferred {@code data} again
   * @param jsonOffset where the parser's input starts in {@code body}
   * @param jsonLength the parser's input length
   * @param writable whether {@code body} is the parser's own copy, which {@link NumberArrays} may
   *     overwrite to read numbers fast
   */
  static Parsed read(
      JsonParser p,
      String role,
      int index,
      byte[] body,
      int jsonOffset,
      int jsonLength,
      boolean writable)
      throws IOException {
    Parsed t = new Parsed();
    t.label = role + "s[" + index + "]";
    Json.expect(p, JsonToken.START_OBJECT, t.label);
    long deferredStart = -1;
    long deferredEnd = -1;
    while (Json.next(p) == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken v = Json.next(p);
      switch (field) {
        case "name" -> {
          t.name = Json.string(p, t.label + ".name");
          if (t.name.isEmpty()) {
            throw StrataException.invalid("%s: empty 'name'", t.label);
          }
          t.label = role + " '" + t.name + "'";
        }
        case "datatype" -> {
          String s = Json.string(p, t.label + ".datatype");
          try {
            t.datatype = DataType.fromWireName(s);
          } catch (StrataException e) {
            throw StrataException.invalid("%s: %s", t.label, e.getMessage());
          }
        }
        case "shape" -> t.shape = shape(p, t.label);
        case "parameters" -> t.parameters = Json.parameters(p, t.label + ".parameters");
        case "data" -> {
          if (v == JsonToken.VALUE_NULL) {
            break;
          }
          if (t.datatype != null && t.shape != null) {
            t.data = data(p, t, writable ? body : null, jsonOffset, jsonOffset + jsonLength);
          } else {
            deferredStart = p.currentTokenLocation().getByteOffset();
            p.skipChildren();
            deferredEnd = p.currentLocation().getByteOffset();
          }
        }
        default -> p.skipChildren();
      }
    }
    if (t.name == null) {
      throw StrataException.invalid("%s: missing 'name'", t.label);
    }
    if (t.datatype == null) {
      throw StrataException.invalid("%s: missing 'datatype'", t.label);
    }
    if (t.shape == null) {
      throw StrataException.invalid("%s: missing 'shape'", t.label);
    }
    if (deferredStart >= 0) {
      int start = jsonOffset + (int) deferredStart;
      int length = (int) (deferredEnd - deferredStart);
      try (JsonParser again = Json.parser(body, start, length)) {
        again.nextToken();
        t.data = data(again, t, writable ? body : null, start, start + length);
      }
    }
    Object size = t.parameters.get(OipNames.BINARY_DATA_SIZE);
    if (size != null) {
      if (!(size instanceof Long l) || l < 0) {
        throw StrataException.invalid(
            "%s: parameters.%s: %s (expected: an integer >= 0)",
            t.label, OipNames.BINARY_DATA_SIZE, size);
      }
      if (t.data != null) {
        throw StrataException.invalid(
            "%s: has both 'data' and parameters.%s (expected: one of them)",
            t.label, OipNames.BINARY_DATA_SIZE);
      }
      t.binarySize = l;
    } else if (t.data == null) {
      throw StrataException.invalid(
          "%s: missing 'data' (or parameters.%s for binary data)",
          t.label, OipNames.BINARY_DATA_SIZE);
    }
    return t;
  }

  /** Reads {@code data}; {@code input} is the parser's input if it may be overwritten, or null. */
  private static ByteBuffer data(
      JsonParser p, Parsed t, byte[] input, int inputOffset, int inputEnd) throws IOException {
    long expected = elements(t);
    if (t.datatype.isFixedSize() && expected * t.datatype.byteSize() > Integer.MAX_VALUE) {
      throw StrataException.invalid(
          "%s: shape %s of %s is over 2 GiB", t.label, t.shape, t.datatype);
    }
    // Every JSON element takes at least one byte, so a larger count cannot match: count only.
    boolean store = expected <= inputEnd - inputOffset;
    if (store) {
      ByteBuffer fast =
          NumberArrays.tryRead(
              p, input, inputOffset, inputEnd, t.datatype, t.shape.toArray(), expected);
      if (fast != null) {
        return fast;
      }
    }
    return TensorDataReader.read(p, t.label, t.datatype, t.shape, expected, store);
  }

  /** The element count of the tensor's shape, failing on overflow. */
  static long elements(Parsed t) {
    try {
      return t.shape.numElements();
    } catch (ArithmeticException e) {
      throw StrataException.invalid("%s: shape %s has too many elements", t.label, t.shape);
    }
  }

  private static Shape shape(JsonParser p, String label) throws IOException {
    Json.expect(p, JsonToken.START_ARRAY, label + ".shape");
    long[] dims = new long[8];
    int rank = 0;
    while (Json.next(p) != JsonToken.END_ARRAY) {
      if (p.currentToken() != JsonToken.VALUE_NUMBER_INT
          || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
          || p.getLongValue() < 0) {
        throw StrataException.invalid(
            "%s: shape dimension %d is %s (expected: an integer >= 0)",
            label, rank, Json.describe(p));
      }
      if (rank == dims.length) {
        dims = Arrays.copyOf(dims, rank * 2);
      }
      dims[rank++] = p.getLongValue();
    }
    return Shape.of(Arrays.copyOf(dims, rank));
  }
}
