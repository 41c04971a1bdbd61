package dev.strata.protocol.rest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.strata.core.InferenceRequest;
import dev.strata.core.OutputRequest;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import dev.strata.protocol.OipNames;
import dev.strata.protocol.TimeoutParameter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/** Server side: an inference request body (JSON, optionally followed by binary tensor data). */
final class InferRequestReader {
  private InferRequestReader() {}

  static RestCodec.DecodedInfer read(
      String model,
      Optional<String> version,
      byte[] body,
      int offset,
      int length,
      OptionalInt headerLength) {
    int jsonLength = BinaryParts.jsonLength(headerLength, length);
    return read(
        model,
        version,
        body,
        offset,
        jsonLength,
        Segments.of(body, offset + jsonLength, length - jsonLength),
        headerLength.isPresent(),
        false);
  }

  /** A body in several buffers: the JSON part in one array, the binary part where it lies. */
  static RestCodec.DecodedInfer read(
      String model, Optional<String> version, List<ByteBuffer> body, OptionalInt headerLength) {
    long total = 0;
    for (ByteBuffer b : body) {
      total += b.remaining();
    }
    if (total > Integer.MAX_VALUE) {
      throw StrataException.invalid("request body of %d bytes is too large", total);
    }
    int jsonLength = BinaryParts.jsonLength(headerLength, (int) total);
    ByteBuffer first = body.isEmpty() ? ByteBuffer.allocate(0) : body.get(0);
    byte[] json;
    int offset;
    boolean owned;
    if (first.hasArray() && first.remaining() >= jsonLength) {
      json = first.array();
      offset = first.arrayOffset() + first.position();
      owned = false;
    } else {
      // Only the JSON part is copied (it is parsed from one array); binary data stays where it is.
      json = new byte[jsonLength];
      int at = 0;
      for (ByteBuffer b : body) {
        int n = Math.min(b.remaining(), jsonLength - at);
        b.get(b.position(), json, at, n);
        at += n;
        if (at == jsonLength) {
          break;
        }
      }
      offset = 0;
      owned = true;
    }
    return read(
        model,
        version,
        json,
        offset,
        jsonLength,
        Segments.of(body, jsonLength),
        headerLength.isPresent(),
        owned);
  }

  /**
   * Reads the JSON part {@code body[offset, offset + jsonLength)}.
   *
   * @param owned whether {@code body} is this reader's own copy; if not, the JSON part is copied
   *     first (a few KB for most requests), because reading tensor data fast overwrites it ({@link
   *     NumberArrays})
   */
  private static RestCodec.DecodedInfer read(
      String model,
      Optional<String> version,
      byte[] body,
      int offset,
      int jsonLength,
      Segments binary,
      boolean hasHeader,
      boolean owned) {
    if (!owned) {
      body = Arrays.copyOfRange(body, offset, offset + jsonLength);
      offset = 0;
    }
    String id = "";
    Map<String, Object> parameters = Map.of();
    List<TensorObjectReader.Parsed> inputs = null;
    List<OutputRequest> outputs = List.of();
    Map<String, Boolean> binaryOutputs = Map.of();
    try (JsonParser p = Json.parser(body, offset, jsonLength)) {
      if (p.nextToken() == null) {
        throw StrataException.invalid("empty request body (expected: a JSON object)");
      }
      Json.expect(p, JsonToken.START_OBJECT, "request");
      while (Json.next(p) == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        Json.next(p);
        switch (field) {
          case "id" -> id = Json.optionalString(p, "id").orElse("");
          case "parameters" -> parameters = Json.parameters(p, "parameters");
          case "inputs" -> inputs = inputs(p, body, offset, jsonLength);
          case "outputs" -> {
            if (p.currentToken() != JsonToken.VALUE_NULL) {
              Json.expect(p, JsonToken.START_ARRAY, "outputs");
              outputs = new ArrayList<>();
              binaryOutputs = new HashMap<>();
              while (Json.next(p) != JsonToken.END_ARRAY) {
                outputs.add(output(p, outputs.size(), binaryOutputs));
              }
            }
          }
          default -> p.skipChildren();
        }
      }
      Json.expectEnd(p);
    } catch (JsonProcessingException e) {
      throw Json.malformed(e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (inputs == null) {
      throw StrataException.invalid("request: missing 'inputs'");
    }
    List<Tensor> tensors = BinaryParts.tensors(inputs, binary, hasHeader);

    boolean binaryByDefault = false;
    Optional<Duration> timeout = Optional.empty();
    if (parameters.containsKey(OipNames.BINARY_DATA_OUTPUT)
        || parameters.containsKey(OipNames.TIMEOUT)) {
      Map<String, Object> rest = new LinkedHashMap<>(parameters);
      Object b = rest.remove(OipNames.BINARY_DATA_OUTPUT);
      if (b != null) {
        if (!(b instanceof Boolean bool)) {
          throw StrataException.invalid(
              "parameters.%s: %s (expected: a boolean)", OipNames.BINARY_DATA_OUTPUT, b);
        }
        binaryByDefault = bool;
      }
      Object t = rest.remove(OipNames.TIMEOUT);
      if (t != null) {
        timeout = TimeoutParameter.fromMicros(t);
      }
      parameters = rest;
    }
    InferenceRequest request =
        new InferenceRequest(model, version, id, tensors, outputs, parameters, timeout);
    return new RestCodec.DecodedInfer(request, new ResponseFormat(binaryByDefault, binaryOutputs));
  }

  private static List<TensorObjectReader.Parsed> inputs(
      JsonParser p, byte[] body, int offset, int jsonLength) throws IOException {
    Json.expect(p, JsonToken.START_ARRAY, "inputs");
    List<TensorObjectReader.Parsed> inputs = new ArrayList<>(4);
    while (Json.next(p) != JsonToken.END_ARRAY) {
      inputs.add(
          TensorObjectReader.read(p, "input", inputs.size(), body, offset, jsonLength, true));
    }
    return inputs;
  }

  private static OutputRequest output(JsonParser p, int index, Map<String, Boolean> binaryOutputs)
      throws IOException {
    String label = "outputs[" + index + "]";
    Json.expect(p, JsonToken.START_OBJECT, label);
    String name = null;
    Map<String, Object> parameters = Map.of();
    while (Json.next(p) == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      Json.next(p);
      switch (field) {
        case "name" -> name = Json.string(p, label + ".name");
        case "parameters" -> parameters = Json.parameters(p, label + ".parameters");
        default -> p.skipChildren();
      }
    }
    if (name == null || name.isEmpty()) {
      throw StrataException.invalid("%s: missing 'name'", label);
    }
    label = "output '" + name + "'";
    Object binary = parameters.get(OipNames.BINARY_DATA);
    if (binary != null) {
      if (!(binary instanceof Boolean b)) {
        throw StrataException.invalid(
            "%s: parameters.%s: %s (expected: a boolean)", label, OipNames.BINARY_DATA, binary);
      }
      binaryOutputs.put(name, b);
    }
    int classification = 0;
    Object k = parameters.get(OipNames.CLASSIFICATION);
    if (k != null) {
      if (!(k instanceof Long l) || l < 0 || l > Integer.MAX_VALUE) {
        throw StrataException.invalid(
            "%s: parameters.%s: %s (expected: an integer >= 0)", label, OipNames.CLASSIFICATION, k);
      }
      classification = (int) (long) l;
      parameters = new LinkedHashMap<>(parameters);
      parameters.remove(OipNames.CLASSIFICATION);
    }
    return new OutputRequest(name, classification, parameters);
  }
}
