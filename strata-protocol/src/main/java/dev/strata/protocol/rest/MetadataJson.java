package dev.strata.protocol.rest;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.strata.core.DataType;
import dev.strata.core.ErrorCode;
import dev.strata.core.ModelMetadata;
import dev.strata.core.ModelStatistics;
import dev.strata.core.RepositoryEntry;
import dev.strata.core.ServerMetadata;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.TensorSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The small JSON messages: server and model metadata, statistics (Triton's shape), repository index
 * and load/unload bodies, errors. Not on the hot path: decoding goes through a generic tree.
 */
final class MetadataJson {
  private MetadataJson() {}

  @FunctionalInterface
  interface Body {
    void write(JsonGenerator g) throws IOException;
  }

  static byte[] write(Body body) {
    ByteOutput out = new ByteOutput(256);
    try (JsonGenerator g = Json.generator(out)) {
      body.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Parses a whole body into maps and lists; an empty body reads as {@code null}. */
  static Object read(byte[] body, int offset, int length) {
    try (JsonParser p = Json.parser(body, offset, length)) {
      if (p.nextToken() == null) {
        return null;
      }
      Object v = Json.value(p);
      Json.expectEnd(p);
      return v;
    } catch (JsonProcessingException e) {
      throw Json.malformed(e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---- writing -------------------------------------------------------------------------------

  static byte[] error(String message, ErrorCode code) {
    return write(
        g -> {
          g.writeStartObject();
          g.writeStringField("error", message);
          if (code != null) {
            g.writeStringField("code", code.name());
          }
          g.writeEndObject();
        });
  }

  static byte[] serverMetadata(ServerMetadata m) {
    return write(
        g -> {
          g.writeStartObject();
          g.writeStringField("name", m.name());
          g.writeStringField("version", m.version());
          g.writeArrayFieldStart("extensions");
          for (String e : m.extensions()) {
            g.writeString(e);
          }
          g.writeEndArray();
          g.writeEndObject();
        });
  }

  static byte[] modelMetadata(ModelMetadata m) {
    return write(
        g -> {
          g.writeStartObject();
          g.writeStringField("name", m.name());
          g.writeArrayFieldStart("versions");
          for (String v : m.versions()) {
            g.writeString(v);
          }
          g.writeEndArray();
          g.writeStringField("platform", m.platform());
          specs(g, "inputs", m.inputs());
          specs(g, "outputs", m.outputs());
          if (!m.parameters().isEmpty()) {
            Json.writeParameters(g, m.parameters());
          }
          g.writeEndObject();
        });
  }

  private static void specs(JsonGenerator g, String field, List<TensorSpec> specs)
      throws IOException {
    g.writeArrayFieldStart(field);
    for (TensorSpec s : specs) {
      g.writeStartObject();
      g.writeStringField("name", s.name());
      g.writeStringField("datatype", s.datatype().wireName());
      g.writeArrayFieldStart("shape");
      for (long d : s.shape().toArray()) {
        g.writeNumber(d);
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  static byte[] statistics(List<ModelStatistics> stats) {
    return write(
        g -> {
          g.writeStartObject();
          g.writeArrayFieldStart("model_stats");
          for (ModelStatistics s : stats) {
            g.writeStartObject();
            g.writeStringField("name", s.name());
            g.writeStringField("version", s.version());
            g.writeNumberField("last_inference", s.lastInference());
            g.writeNumberField("inference_count", s.inferenceCount());
            g.writeNumberField("execution_count", s.executionCount());
            ModelStatistics.InferenceStats i = s.inferenceStats();
            g.writeObjectFieldStart("inference_stats");
            duration(g, "success", i.success());
            duration(g, "fail", i.fail());
            duration(g, "queue", i.queue());
            duration(g, "compute_input", i.computeInput());
            duration(g, "compute_infer", i.computeInfer());
            duration(g, "compute_output", i.computeOutput());
            duration(g, "cache_hit", ModelStatistics.Duration.ZERO);
            duration(g, "cache_miss", ModelStatistics.Duration.ZERO);
            g.writeEndObject();
            g.writeArrayFieldStart("batch_stats");
            for (ModelStatistics.BatchStats b : s.batchStats()) {
              g.writeStartObject();
              g.writeNumberField("batch_size", b.batchSize());
              duration(g, "compute_input", b.computeInput());
              duration(g, "compute_infer", b.computeInfer());
              duration(g, "compute_output", b.computeOutput());
              g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("memory_usage");
            g.writeEndArray();
            g.writeEndObject();
          }
          g.writeEndArray();
          g.writeEndObject();
        });
  }

  private static void duration(JsonGenerator g, String field, ModelStatistics.Duration d)
      throws IOException {
    g.writeObjectFieldStart(field);
    g.writeNumberField("count", d == null ? 0 : d.count());
    g.writeNumberField("ns", d == null ? 0 : d.ns());
    g.writeEndObject();
  }

  static byte[] repositoryIndex(List<RepositoryEntry> entries) {
    return write(
        g -> {
          g.writeStartArray();
          for (RepositoryEntry e : entries) {
            g.writeStartObject();
            g.writeStringField("name", e.name());
            if (!e.version().isEmpty()) {
              g.writeStringField("version", e.version());
            }
            g.writeStringField("state", e.state());
            g.writeStringField("reason", e.reason());
            g.writeEndObject();
          }
          g.writeEndArray();
        });
  }

  static byte[] repositoryIndexRequest(boolean readyOnly) {
    return write(
        g -> {
          g.writeStartObject();
          g.writeBooleanField("ready", readyOnly);
          g.writeEndObject();
        });
  }

  static byte[] repositoryRequest(Map<String, Object> parameters) {
    return write(
        g -> {
          g.writeStartObject();
          if (!parameters.isEmpty()) {
            Json.writeParameters(g, parameters);
          }
          g.writeEndObject();
        });
  }

  // ---- reading -------------------------------------------------------------------------------

  static StrataException error(int httpStatus, byte[] body) {
    ErrorCode code = ErrorCode.fromHttpStatus(httpStatus);
    String message;
    try {
      Map<String, Object> m = object(read(body, 0, body.length), "error response");
      message = String.valueOf(m.getOrDefault("error", "HTTP " + httpStatus));
      if (m.get("code") instanceof String c) {
        for (ErrorCode e : ErrorCode.values()) {
          if (e.name().equals(c)) {
            code = e;
          }
        }
      }
    } catch (StrataException e) {
      // Not the protocol's JSON error (a proxy's page, say): keep what it said, briefly.
      String text = new String(body, StandardCharsets.UTF_8).strip();
      message =
          text.isEmpty()
              ? "HTTP " + httpStatus
              : "HTTP " + httpStatus + ": " + text.substring(0, Math.min(text.length(), 500));
    }
    return new StrataException(code, message);
  }

  static ServerMetadata serverMetadata(byte[] body) {
    Map<String, Object> m = object(read(body, 0, body.length), "server metadata");
    return new ServerMetadata(
        str(m, "name"), str(m, "version"), strings(m.get("extensions"), "extensions"));
  }

  static ModelMetadata modelMetadata(byte[] body) {
    Map<String, Object> m = object(read(body, 0, body.length), "model metadata");
    return new ModelMetadata(
        str(m, "name"),
        strings(m.get("versions"), "versions"),
        str(m, "platform"),
        specs(m.get("inputs"), "inputs"),
        specs(m.get("outputs"), "outputs"),
        m.get("parameters") == null ? Map.of() : object(m.get("parameters"), "parameters"));
  }

  private static List<TensorSpec> specs(Object v, String what) {
    List<TensorSpec> out = new ArrayList<>();
    for (Object o : list(v, what)) {
      Map<String, Object> s = object(o, what);
      List<Object> dims = list(s.get("shape"), what + ".shape");
      long[] shape = new long[dims.size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = number(dims.get(i), what + ".shape");
      }
      out.add(
          new TensorSpec(
              str(s, "name"), DataType.fromWireName(str(s, "datatype")), Shape.of(shape)));
    }
    return out;
  }

  static List<ModelStatistics> statistics(byte[] body) {
    Map<String, Object> m = object(read(body, 0, body.length), "statistics");
    List<ModelStatistics> out = new ArrayList<>();
    for (Object o : list(m.get("model_stats"), "model_stats")) {
      Map<String, Object> s = object(o, "model_stats");
      Map<String, Object> i =
          s.get("inference_stats") == null
              ? Map.of()
              : object(s.get("inference_stats"), "inference_stats");
      List<ModelStatistics.BatchStats> batches = new ArrayList<>();
      for (Object b : list(s.get("batch_stats"), "batch_stats")) {
        Map<String, Object> bm = object(b, "batch_stats");
        batches.add(
            new ModelStatistics.BatchStats(
                (int) number(bm.get("batch_size"), "batch_size"),
                duration(bm, "compute_input"),
                duration(bm, "compute_infer"),
                duration(bm, "compute_output")));
      }
      out.add(
          new ModelStatistics(
              str(s, "name"),
              str(s, "version"),
              number(s.get("last_inference"), "last_inference"),
              number(s.get("inference_count"), "inference_count"),
              number(s.get("execution_count"), "execution_count"),
              new ModelStatistics.InferenceStats(
                  duration(i, "success"),
                  duration(i, "fail"),
                  duration(i, "queue"),
                  duration(i, "compute_input"),
                  duration(i, "compute_infer"),
                  duration(i, "compute_output")),
              batches));
    }
    return out;
  }

  private static ModelStatistics.Duration duration(Map<String, Object> m, String field) {
    Object v = m.get(field);
    if (v == null) {
      return ModelStatistics.Duration.ZERO;
    }
    Map<String, Object> d = object(v, field);
    return new ModelStatistics.Duration(number(d.get("count"), field), number(d.get("ns"), field));
  }

  static List<RepositoryEntry> repositoryIndex(byte[] body) {
    List<RepositoryEntry> out = new ArrayList<>();
    for (Object o : list(read(body, 0, body.length), "repository index")) {
      Map<String, Object> e = object(o, "repository index");
      out.add(
          new RepositoryEntry(
              str(e, "name"), optStr(e, "version"), optStr(e, "state"), optStr(e, "reason")));
    }
    return out;
  }

  static boolean repositoryIndexRequest(byte[] body, int offset, int length) {
    Object v = read(body, offset, length);
    if (v == null) {
      return false;
    }
    Object ready = object(v, "repository index request").get("ready");
    if (ready == null) {
      return false;
    }
    if (!(ready instanceof Boolean b)) {
      throw StrataException.invalid("ready: %s (expected: a boolean)", ready);
    }
    return b;
  }

  static Map<String, Object> repositoryRequest(byte[] body, int offset, int length) {
    try (JsonParser p = Json.parser(body, offset, length)) {
      if (p.nextToken() == null) {
        return Map.of();
      }
      Json.expect(p, JsonToken.START_OBJECT, "repository request");
      Map<String, Object> parameters = Map.of();
      while (Json.next(p) == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        Json.next(p);
        if (field.equals("parameters")) {
          parameters = Json.parameters(p, "parameters");
        } else {
          p.skipChildren();
        }
      }
      Json.expectEnd(p);
      return parameters;
    } catch (JsonProcessingException e) {
      throw Json.malformed(e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---- tree helpers --------------------------------------------------------------------------

  @SuppressWarnings("unchecked")
  private static Map<String, Object> object(Object v, String what) {
    if (v instanceof Map<?, ?> m) {
      return (Map<String, Object>) m;
    }
    throw StrataException.invalid("%s: %s (expected: a JSON object)", what, kind(v));
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object v, String what) {
    if (v == null) {
      return List.of();
    }
    if (v instanceof List<?> l) {
      return (List<Object>) l;
    }
    throw StrataException.invalid("%s: %s (expected: a JSON array)", what, kind(v));
  }

  private static List<String> strings(Object v, String what) {
    List<String> out = new ArrayList<>();
    for (Object o : list(v, what)) {
      out.add(String.valueOf(o));
    }
    return out;
  }

  private static String str(Map<String, Object> m, String field) {
    if (m.get(field) instanceof String s) {
      return s;
    }
    throw StrataException.invalid("%s: %s (expected: a string)", field, kind(m.get(field)));
  }

  private static String optStr(Map<String, Object> m, String field) {
    Object v = m.get(field);
    return v == null ? "" : String.valueOf(v);
  }

  private static long number(Object v, String what) {
    if (v == null) {
      return 0;
    }
    if (v instanceof Number n) {
      return n.longValue();
    }
    throw StrataException.invalid("%s: %s (expected: a number)", what, kind(v));
  }

  private static String kind(Object v) {
    return switch (v) {
      case null -> "missing";
      case Map<?, ?> m -> "an object";
      case List<?> l -> "an array";
      case String s -> "a string";
      case Number n -> "a number " + n;
      case Boolean b -> "a boolean";
      default -> v.getClass().getSimpleName();
    };
  }
}
