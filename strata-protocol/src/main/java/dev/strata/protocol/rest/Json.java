package dev.strata.protocol.rest;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import dev.strata.core.StrataException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The shared Jackson setup and the small streaming helpers every reader and writer uses. */
final class Json {
  private Json() {}

  /**
   * Thread-safe and shared. Fast double parsing and writing keep numbers allocation-light; NaN and
   * Infinity are read and written bare, as Python's json module does, so float outputs that are not
   * finite survive a round trip.
   */
  static final JsonFactory FACTORY =
      JsonFactory.builder()
          .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
          .enable(StreamReadFeature.USE_FAST_BIG_NUMBER_PARSER)
          .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
          .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
          .build();

  static JsonParser parser(byte[] body, int offset, int length) {
    try {
      return FACTORY.createParser(body, offset, length);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonGenerator generator(ByteOutput out) {
    try {
      return FACTORY.createGenerator(out, JsonEncoding.UTF8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Turns a Jackson failure into the INVALID_ARGUMENT a client should see. */
  static StrataException malformed(JsonProcessingException e) {
    if (e instanceof StreamConstraintsException) {
      return StrataException.invalid("JSON over a size limit: %s", e.getOriginalMessage());
    }
    JsonLocation at = e.getLocation();
    if (at == null) {
      return StrataException.invalid("malformed JSON: %s", e.getOriginalMessage());
    }
    return StrataException.invalid(
        "malformed JSON at line %d, column %d: %s",
        at.getLineNr(), at.getColumnNr(), e.getOriginalMessage());
  }

  /** Fails unless the current token is {@code expected}. */
  static void expect(JsonParser p, JsonToken expected, String what) throws IOException {
    if (p.currentToken() != expected) {
      throw StrataException.invalid("%s: %s (expected: %s)", what, describe(p), article(expected));
    }
  }

  /** The next token, failing on the end of input. */
  static JsonToken next(JsonParser p) throws IOException {
    JsonToken t = p.nextToken();
    if (t == null) {
      throw StrataException.invalid("malformed JSON: unexpected end of input");
    }
    return t;
  }

  /** Fails when anything but whitespace follows the value just read. */
  static void expectEnd(JsonParser p) throws IOException {
    if (p.nextToken() != null) {
      JsonLocation at = p.currentTokenLocation();
      throw StrataException.invalid(
          "malformed JSON at line %d, column %d: content after the end of the JSON value",
          at.getLineNr(), at.getColumnNr());
    }
  }

  /** The current token in words, for messages: {@code a string "abc"}, {@code an integer 7}. */
  static String describe(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    if (t == null) {
      return "nothing";
    }
    return switch (t) {
      case VALUE_STRING -> "a string \"" + abbreviate(p.getText()) + "\"";
      case VALUE_NUMBER_INT -> "an integer " + abbreviate(p.getText());
      case VALUE_NUMBER_FLOAT -> "a number " + abbreviate(p.getText());
      case VALUE_TRUE, VALUE_FALSE -> "a boolean " + p.getText();
      case VALUE_NULL -> "null";
      case START_ARRAY -> "an array";
      case START_OBJECT -> "an object";
      default -> t.toString();
    };
  }

  private static String article(JsonToken t) {
    return switch (t) {
      case START_ARRAY -> "an array";
      case START_OBJECT -> "an object";
      case VALUE_STRING -> "a string";
      default -> t.toString();
    };
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 37) + "...";
  }

  /** A string field's value; null maps to empty. */
  static Optional<String> optionalString(JsonParser p, String what) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_NULL) {
      return Optional.empty();
    }
    if (t != JsonToken.VALUE_STRING) {
      throw StrataException.invalid("%s: %s (expected: a string)", what, describe(p));
    }
    return Optional.of(p.getText());
  }

  static String string(JsonParser p, String what) throws IOException {
    return optionalString(p, what)
        .orElseThrow(() -> StrataException.invalid("%s: null (expected: a string)", what));
  }

  static boolean bool(JsonParser p, String what) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_TRUE) {
      return true;
    }
    if (t == JsonToken.VALUE_FALSE) {
      return false;
    }
    throw StrataException.invalid("%s: %s (expected: a boolean)", what, describe(p));
  }

  static long int64(JsonParser p, String what) throws IOException {
    if (p.currentToken() != JsonToken.VALUE_NUMBER_INT
        || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
      throw StrataException.invalid("%s: %s (expected: a 64-bit integer)", what, describe(p));
    }
    return p.getLongValue();
  }

  /**
   * Reads a parameters object: string, number or boolean values ({@code null} values are left out).
   * Integers become Long (BigInteger past Long's range), other numbers Double.
   */
  static Map<String, Object> parameters(JsonParser p, String what) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_NULL) {
      return Map.of();
    }
    expect(p, JsonToken.START_OBJECT, what);
    Map<String, Object> out = new LinkedHashMap<>();
    while (next(p) == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      JsonToken v = next(p);
      switch (v) {
        case VALUE_STRING -> out.put(key, p.getText());
        case VALUE_TRUE -> out.put(key, Boolean.TRUE);
        case VALUE_FALSE -> out.put(key, Boolean.FALSE);
        case VALUE_NUMBER_INT ->
            out.put(
                key,
                p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                    ? p.getBigIntegerValue()
                    : (Object) p.getLongValue());
        case VALUE_NUMBER_FLOAT -> out.put(key, p.getDoubleValue());
        case VALUE_NULL -> {}
        default ->
            throw StrataException.invalid(
                "%s.%s: %s (expected: a string, number or boolean)", what, key, describe(p));
      }
    }
    return out;
  }

  /** Reads any JSON value into maps, lists, strings, Long/BigInteger/Double, Boolean or null. */
  static Object value(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    switch (t) {
      case START_OBJECT -> {
        Map<String, Object> m = new LinkedHashMap<>();
        while (next(p) == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          next(p);
          m.put(key, value(p));
        }
        return m;
      }
      case START_ARRAY -> {
        List<Object> l = new ArrayList<>();
        while (next(p) != JsonToken.END_ARRAY) {
          l.add(value(p));
        }
        return l;
      }
      case VALUE_STRING -> {
        return p.getText();
      }
      case VALUE_NUMBER_INT -> {
        return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
            ? p.getBigIntegerValue()
            : (Object) p.getLongValue();
      }
      case VALUE_NUMBER_FLOAT -> {
        return p.getDoubleValue();
      }
      case VALUE_TRUE -> {
        return Boolean.TRUE;
      }
      case VALUE_FALSE -> {
        return Boolean.FALSE;
      }
      case VALUE_NULL -> {
        return null;
      }
      default -> throw StrataException.invalid("malformed JSON: unexpected %s", t);
    }
  }

  /**
   * Writes a parameter or metadata value: strings, numbers, booleans, Optionals, lists and maps of
   * those.
   */
  static void writeValue(JsonGenerator g, Object v) throws IOException {
    switch (v) {
      case null -> g.writeNull();
      case String s -> g.writeString(s);
      case Boolean b -> g.writeBoolean(b);
      case Long l -> g.writeNumber(l);
      case Integer i -> g.writeNumber(i);
      case Short s -> g.writeNumber(s);
      case Byte b -> g.writeNumber(b);
      case BigInteger b -> g.writeNumber(b);
      case Double d -> g.writeNumber(d);
      case Float f -> g.writeNumber(f);
      case Number n -> g.writeNumber(n.toString());
      case Optional<?> o -> writeValue(g, o.orElse(null));
      case Map<?, ?> m -> {
        g.writeStartObject();
        for (Map.Entry<?, ?> e : m.entrySet()) {
          g.writeFieldName(String.valueOf(e.getKey()));
          writeValue(g, e.getValue());
        }
        g.writeEndObject();
      }
      case Iterable<?> it -> {
        g.writeStartArray();
        for (Object o : it) {
          writeValue(g, o);
        }
        g.writeEndArray();
      }
      default -> g.writeString(v.toString());
    }
  }

  static void writeParameters(JsonGenerator g, Map<String, ?> parameters) throws IOException {
    g.writeFieldName("parameters");
    writeValue(g, parameters);
  }
}
