package dev.strata.protocol.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.modelconfig.Triton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Triton's model configuration as JSON, the way Triton answers {@code GET /v2/models/{m}/config}:
 * protobuf's JsonFormat with proto field names and default values, then the 64-bit integers (which
 * JsonFormat quotes) written as JSON numbers, as Triton writes them.
 */
final class ModelConfigJson {
  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer()
          .preservingProtoFieldNames()
          .includingDefaultValueFields()
          .omittingInsignificantWhitespace();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Set<FieldDescriptor.Type> LONGS =
      Set.of(
          FieldDescriptor.Type.INT64,
          FieldDescriptor.Type.SINT64,
          FieldDescriptor.Type.SFIXED64,
          FieldDescriptor.Type.UINT64,
          FieldDescriptor.Type.FIXED64);

  private ModelConfigJson() {}

  static byte[] write(Triton.ModelConfig config) {
    try {
      ObjectNode tree = (ObjectNode) MAPPER.readTree(PRINTER.print(config));
      numbers(tree, Triton.ModelConfig.getDescriptor());
      return MAPPER.writeValueAsBytes(tree);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // JsonFormat's own output, always valid JSON
    }
  }

  static Triton.ModelConfig read(byte[] body) {
    Triton.ModelConfig.Builder b = Triton.ModelConfig.newBuilder();
    try {
      PARSER.merge(new String(body, StandardCharsets.UTF_8), b);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw new StrataException(
          ErrorCode.INVALID_ARGUMENT,
          "model configuration: not Triton's model configuration JSON (" + e.getMessage() + ")",
          e);
    }
    return b.build();
  }

  private static void numbers(ObjectNode node, Descriptor type) {
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      FieldDescriptor f = type.findFieldByName(e.getKey());
      if (f == null) {
        continue;
      }
      if (f.isMapField() && e.getValue() instanceof ObjectNode map) {
        FieldDescriptor value = f.getMessageType().findFieldByName("value");
        for (Iterator<Map.Entry<String, JsonNode>> m = map.fields(); m.hasNext(); ) {
          Map.Entry<String, JsonNode> entry = m.next();
          entry.setValue(number(entry.getValue(), value));
        }
      } else {
        e.setValue(number(e.getValue(), f));
      }
    }
  }

  private static JsonNode number(JsonNode value, FieldDescriptor f) {
    if (value instanceof ArrayNode array) {
      for (int i = 0; i < array.size(); i++) {
        array.set(i, number(array.get(i), f));
      }
      return array;
    }
    if (value instanceof ObjectNode object && f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
      numbers(object, f.getMessageType());
      return object;
    }
    if (value.isTextual() && LONGS.contains(f.getType())) {
      BigInteger n = new BigInteger(value.textValue());
      return n.bitLength() < 64 ? LongNode.valueOf(n.longValue()) : BigIntegerNode.valueOf(n);
    }
    return value;
  }
}
