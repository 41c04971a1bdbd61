package dev.strata.llm.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.core.StrataException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A request body's fields, read with their types checked: a wrong type or a value out of range is
 * INVALID_ARGUMENT naming the field and what was expected. Fields OpenAI defines that Strata does
 * not use are ignored, as OpenAI's own server ignores unknown ones of newer clients.
 */
final class Params {
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private final JsonNode root;

  private Params(JsonNode root) {
    this.root = root;
  }

  static Params parse(ByteBuffer body) {
    byte[] b = new byte[body.remaining()];
    body.duplicate().get(b);
    if (b.length == 0) {
      throw StrataException.invalid("the request has no body (expected: a JSON object)");
    }
    JsonNode n;
    try {
      n = MAPPER.readTree(new String(b, StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      throw StrataException.invalid("the body is not valid JSON: %s", e.getOriginalMessage());
    }
    if (n == null || !n.isObject()) {
      throw StrataException.invalid("the body is not a JSON object");
    }
    return new Params(n);
  }

  /** A copy of the whole request, to send on as it came (with changes) to another server. */
  ObjectNode body() {
    return ((ObjectNode) root).deepCopy();
  }

  JsonNode node(String field) {
    JsonNode n = root.get(field);
    return n == null || n.isNull() ? null : n;
  }

  String requiredString(String field) {
    JsonNode n = node(field);
    if (n == null) {
      throw StrataException.invalid("'%s' is required", field);
    }
    if (!n.isTextual()) {
      throw StrataException.invalid("'%s': %s (expected: a string)", field, n);
    }
    return n.asText();
  }

  Optional<Integer> integer(String field, int min, int max) {
    JsonNode n = node(field);
    if (n == null) {
      return Optional.empty();
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < min || n.asInt() > max) {
      throw StrataException.invalid(
          "'%s': %s (expected: an integer from %d to %d)", field, n, min, max);
    }
    return Optional.of(n.asInt());
  }

  OptionalLong seed() {
    JsonNode n = node("seed");
    if (n == null) {
      return OptionalLong.empty();
    }
    if (!n.isIntegralNumber() || !n.canConvertToLong()) {
      throw StrataException.invalid("'seed': %s (expected: an integer)", n);
    }
    return OptionalLong.of(n.asLong());
  }

  double number(String field, double min, double max, double otherwise) {
    JsonNode n = node(field);
    if (n == null) {
      return otherwise;
    }
    if (!n.isNumber() || n.asDouble() < min || n.asDouble() > max) {
      throw StrataException.invalid(
          "'%s': %s (expected: a number from %s to %s)", field, n, fmt(min), fmt(max));
    }
    return n.asDouble();
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }

  boolean bool(String field) {
    JsonNode n = node(field);
    if (n == null) {
      return false;
    }
    if (!n.isBoolean()) {
      throw StrataException.invalid("'%s': %s (expected: true or false)", field, n);
    }
    return n.asBoolean();
  }

  /** {@code stop}: a string or up to 4 strings. */
  List<String> stop() {
    JsonNode n = node("stop");
    if (n == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    if (n.isTextual()) {
      out.add(n.asText());
    } else if (n.isArray() && n.size() <= 4) {
      for (JsonNode s : n) {
        if (!s.isTextual()) {
          throw StrataException.invalid("'stop': %s (expected: a string or up to 4 strings)", n);
        }
        out.add(s.asText());
      }
    } else {
      throw StrataException.invalid("'stop': %s (expected: a string or up to 4 strings)", n);
    }
    for (String s : out) {
      if (s.isEmpty()) {
        throw StrataException.invalid("'stop': an empty string (expected: non-empty strings)");
      }
    }
    return out;
  }

  /** {@code logit_bias}: token id (as a string) → bias from -100 to 100. */
  Map<Integer, Double> logitBias() {
    JsonNode n = node("logit_bias");
    if (n == null) {
      return Map.of();
    }
    if (!n.isObject()) {
      throw StrataException.invalid("'logit_bias': %s (expected: an object of token id → bias)", n);
    }
    Map<Integer, Double> out = new HashMap<>();
    var fields = n.properties().iterator();
    while (fields.hasNext()) {
      var f = fields.next();
      int id;
      try {
        id = Integer.parseInt(f.getKey());
      } catch (NumberFormatException e) {
        throw StrataException.invalid("'logit_bias': key '%s' (expected: a token id)", f.getKey());
      }
      JsonNode v = f.getValue();
      if (id < 0 || !v.isNumber() || v.asDouble() < -100 || v.asDouble() > 100) {
        throw StrataException.invalid(
            "'logit_bias': %s: %s (expected: a token id and a bias from -100 to 100)",
            f.getKey(), v);
      }
      out.put(id, v.asDouble());
    }
    return out;
  }

  /** Refuses options this server does not offer, naming them. */
  void refuse(String field, String why) {
    JsonNode n = node(field);
    if (n != null && !(n.isBoolean() && !n.asBoolean()) && !(n.isInt() && n.asInt() == 0)) {
      throw StrataException.invalid("'%s': %s", field, why);
    }
  }
}
