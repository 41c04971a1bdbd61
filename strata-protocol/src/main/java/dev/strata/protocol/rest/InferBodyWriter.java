package dev.strata.protocol.rest;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.strata.core.DataType;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.OutputRequest;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.protocol.OipNames;
import dev.strata.protocol.TimeoutParameter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Writes the JSON of inference messages with binary parts: the server's responses and the client's
 * requests share the tensor layout ({@code name}, {@code datatype}, {@code shape}, {@code
 * parameters}, then {@code data} last, so that readers meet the data after its type and shape).
 */
final class InferBodyWriter {
  private InferBodyWriter() {}

  /** Server side: a response, its outputs in JSON or binary as {@code format} says. */
  static EncodedBody response(InferenceResponse response, ResponseFormat format) {
    List<Tensor> outputs = response.outputs();
    ByteOutput out = new ByteOutput(estimate(outputs, format));
    List<ByteBuffer> binary = new ArrayList<>(0);
    try (JsonGenerator g = Json.generator(out)) {
      g.writeStartObject();
      g.writeStringField("model_name", response.model());
      g.writeStringField("model_version", response.version());
      if (!response.id().isEmpty()) {
        g.writeStringField("id", response.id());
      }
      if (!response.parameters().isEmpty()) {
        Json.writeParameters(g, response.parameters());
      }
      g.writeArrayFieldStart("outputs");
      for (Tensor t : outputs) {
        tensor(g, t, format.binary(t.name()), Map.of(), binary);
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new EncodedBody(out.toByteBuffer(), binary);
  }

  /**
   * Client side: a request, its inputs in binary or JSON, and its outputs asked for in binary or
   * JSON.
   */
  static EncodedBody request(
      InferenceRequest request, boolean binaryInputs, boolean binaryOutputs) {
    List<Tensor> inputs = request.inputs();
    ByteOutput out =
        new ByteOutput(
            estimate(inputs, binaryInputs ? ResponseFormat.BINARY : ResponseFormat.JSON));
    List<ByteBuffer> binary = new ArrayList<>(binaryInputs ? inputs.size() : 0);
    try (JsonGenerator g = Json.generator(out)) {
      g.writeStartObject();
      if (!request.id().isEmpty()) {
        g.writeStringField("id", request.id());
      }
      boolean askAllBinary = binaryOutputs && request.outputs().isEmpty();
      if (!request.parameters().isEmpty() || askAllBinary || request.timeout().isPresent()) {
        g.writeObjectFieldStart("parameters");
        for (Map.Entry<String, Object> e : request.parameters().entrySet()) {
          g.writeFieldName(e.getKey());
          Json.writeValue(g, e.getValue());
        }
        if (askAllBinary) {
          g.writeBooleanField(OipNames.BINARY_DATA_OUTPUT, true);
        }
        Optional<Duration> timeout = request.timeout();
        if (timeout.isPresent()) {
          g.writeNumberField(OipNames.TIMEOUT, TimeoutParameter.toMicros(timeout.get()));
        }
        g.writeEndObject();
      }
      g.writeArrayFieldStart("inputs");
      for (Tensor t : inputs) {
        tensor(g, t, binaryInputs, Map.of(), binary);
      }
      g.writeEndArray();
      if (!request.outputs().isEmpty()) {
        g.writeArrayFieldStart("outputs");
        for (OutputRequest o : request.outputs()) {
          g.writeStartObject();
          g.writeStringField("name", o.name());
          g.writeObjectFieldStart("parameters");
          for (Map.Entry<String, Object> e : o.parameters().entrySet()) {
            if (!e.getKey().equals(OipNames.BINARY_DATA)) {
              g.writeFieldName(e.getKey());
              Json.writeValue(g, e.getValue());
            }
          }
          if (o.classification() > 0) {
            g.writeNumberField(OipNames.CLASSIFICATION, o.classification());
          }
          g.writeBooleanField(OipNames.BINARY_DATA, binaryOutputs);
          g.writeEndObject();
          g.writeEndObject();
        }
        g.writeEndArray();
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new EncodedBody(out.toByteBuffer(), binary);
  }

  /**
   * Writes one tensor object. A BYTES tensor whose elements are not all valid UTF-8 goes as binary
   * even when JSON was asked for: a JSON string would not carry its bytes unchanged.
   */
  private static void tensor(
      JsonGenerator g,
      Tensor t,
      boolean asBinary,
      Map<String, Object> parameters,
      List<ByteBuffer> binary)
      throws IOException {
    String[] strings = null;
    if (!asBinary && t.datatype() == DataType.BYTES) {
      Optional<String[]> s = TensorDataWriter.utf8Strings(t);
      asBinary = s.isEmpty();
      strings = s.orElse(null);
    }
    g.writeStartObject();
    g.writeStringField("name", t.name());
    g.writeStringField("datatype", t.datatype().wireName());
    g.writeFieldName("shape");
    Shape shape = t.shape();
    g.writeStartArray();
    for (int i = 0; i < shape.rank(); i++) {
      g.writeNumber(shape.dim(i));
    }
    g.writeEndArray();
    if (asBinary || !parameters.isEmpty()) {
      g.writeObjectFieldStart("parameters");
      for (Map.Entry<String, Object> e : parameters.entrySet()) {
        g.writeFieldName(e.getKey());
        Json.writeValue(g, e.getValue());
      }
      if (asBinary) {
        g.writeNumberField(OipNames.BINARY_DATA_SIZE, t.byteSize());
      }
      g.writeEndObject();
    }
    if (asBinary) {
      binary.add(t.data());
    } else if (strings != null) {
      TensorDataWriter.writeStrings(g, strings);
    } else {
      TensorDataWriter.write(g, t);
    }
    g.writeEndObject();
  }

  private static int estimate(List<Tensor> tensors, ResponseFormat format) {
    long n = 256;
    for (Tensor t : tensors) {
      n += format.binary(t.name()) ? 128 : TensorDataWriter.estimate(t);
    }
    return (int) Math.min(n, 1 << 26);
  }
}
