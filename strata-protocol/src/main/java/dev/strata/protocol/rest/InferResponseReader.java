package dev.strata.protocol.rest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.strata.core.InferenceResponse;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/** Client side: an inference response body (JSON, optionally followed by binary tensor data). */
final class InferResponseReader {
  private InferResponseReader() {}

  static InferenceResponse read(byte[] body, int offset, int length, OptionalInt headerLength) {
    int jsonLength = BinaryParts.jsonLength(headerLength, length);
    String model = "";
    String version = "";
    String id = "";
    Map<String, Object> parameters = Map.of();
    List<TensorObjectReader.Parsed> outputs = new ArrayList<>(4);
    try (JsonParser p = Json.parser(body, offset, jsonLength)) {
      if (p.nextToken() == null) {
        throw StrataException.invalid("empty response body (expected: a JSON object)");
      }
      Json.expect(p, JsonToken.START_OBJECT, "response");
      while (Json.next(p) == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        Json.next(p);
        switch (field) {
          case "model_name" -> model = Json.optionalString(p, "model_name").orElse("");
          case "model_version" -> version = Json.optionalString(p, "model_version").orElse("");
          case "id" -> id = Json.optionalString(p, "id").orElse("");
          case "parameters" -> parameters = Json.parameters(p, "parameters");
          case "outputs" -> {
            Json.expect(p, JsonToken.START_ARRAY, "outputs");
            while (Json.next(p) != JsonToken.END_ARRAY) {
              outputs.add(
                  TensorObjectReader.read(
                      p, "output", outputs.size(), body, offset, jsonLength, false));
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
    List<Tensor> tensors =
        BinaryParts.tensors(
            outputs,
            Segments.of(body, offset + jsonLength, length - jsonLength),
            headerLength.isPresent());
    return new InferenceResponse(model, version, id, tensors, parameters);
  }
}
