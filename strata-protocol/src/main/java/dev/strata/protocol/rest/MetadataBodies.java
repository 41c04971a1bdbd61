package dev.strata.protocol.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import dev.strata.core.DataType;
import dev.strata.core.ModelMetadata;
import dev.strata.core.ModelStatistics;
import dev.strata.core.RepositoryEntry;
import dev.strata.core.ServerMetadata;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.TensorSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.LongStream;

/**
 * The small JSON messages as records that say their shape on the wire; {@link MetadataJson} binds
 * them with Jackson (snake_case names from the components). Each validates itself in its compact
 * constructor, so a bad body fails where Jackson knows the path to the record at fault; an absent
 * or {@code null} list reads as empty, an absent number as 0, as before.
 */
final class MetadataBodies {
  private MetadataBodies() {}

  /** {@code {"error": "...", "code": "..."}}: the code is Strata's, left out when unknown. */
  record ErrorBody(String error, @JsonInclude(JsonInclude.Include.NON_NULL) String code) {}

  record ServerMetadataBody(String name, String version, List<String> extensions) {
    ServerMetadataBody {
      required(name, "name");
      required(version, "version");
      extensions = list(extensions, "extensions");
    }

    static ServerMetadataBody of(ServerMetadata m) {
      return new ServerMetadataBody(m.name(), m.version(), m.extensions());
    }

    ServerMetadata toCore() {
      return new ServerMetadata(name, version, extensions);
    }
  }

  record ModelMetadataBody(
      String name,
      List<String> versions,
      String platform,
      List<TensorSpecBody> inputs,
      List<TensorSpecBody> outputs,
      @JsonInclude(JsonInclude.Include.NON_EMPTY)
          @JsonSerialize(using = AnyValues.Writer.class)
          @JsonDeserialize(using = AnyValues.Reader.class)
          Map<String, Object> parameters) {
    ModelMetadataBody {
      required(name, "name");
      versions = list(versions, "versions");
      required(platform, "platform");
      inputs = list(inputs, "inputs");
      outputs = list(outputs, "outputs");
      parameters = parameters == null ? Map.of() : parameters;
    }

    static ModelMetadataBody of(ModelMetadata m) {
      return new ModelMetadataBody(
          m.name(),
          m.versions(),
          m.platform(),
          map(m.inputs(), TensorSpecBody::of),
          map(m.outputs(), TensorSpecBody::of),
          m.parameters());
    }

    ModelMetadata toCore() {
      return new ModelMetadata(
          name,
          versions,
          platform,
          map(inputs, TensorSpecBody::toCore),
          map(outputs, TensorSpecBody::toCore),
          parameters);
    }
  }

  /** An input or output: {@code {"name", "datatype", "shape"}}, -1 for a dynamic axis. */
  record TensorSpecBody(String name, String datatype, List<Long> shape) {
    TensorSpecBody {
      required(name, "name");
      required(datatype, "datatype");
      shape = list(shape, "shape");
      toCore(name, datatype, shape); // names the field at fault: datatype, shape, name
    }

    static TensorSpecBody of(TensorSpec s) {
      return new TensorSpecBody(
          s.name(), s.datatype().wireName(), LongStream.of(s.shape().toArray()).boxed().toList());
    }

    TensorSpec toCore() {
      return toCore(name, datatype, shape);
    }

    private static TensorSpec toCore(String name, String datatype, List<Long> shape) {
      return new TensorSpec(name, DataType.fromWireName(datatype), Shape.of(shape));
    }
  }

  /** Triton's statistics response. */
  record StatisticsBody(List<ModelStatsBody> modelStats) {
    StatisticsBody {
      modelStats = list(modelStats, "model_stats");
    }

    static StatisticsBody of(List<ModelStatistics> stats) {
      return new StatisticsBody(map(stats, ModelStatsBody::of));
    }

    List<ModelStatistics> toCore() {
      return map(modelStats, ModelStatsBody::toCore);
    }
  }

  /**
   * One model version's statistics, with Triton's fields that Strata has no use for: no response
   * cache (zero hits and misses) and no memory usage report (an empty list).
   */
  record ModelStatsBody(
      String name,
      String version,
      long lastInference,
      long inferenceCount,
      long executionCount,
      InferenceStatsBody inferenceStats,
      List<BatchStatsBody> batchStats,
      List<Object> memoryUsage) {
    ModelStatsBody {
      required(name, "name");
      required(version, "version");
      inferenceStats = inferenceStats == null ? InferenceStatsBody.ZERO : inferenceStats;
      batchStats = list(batchStats, "batch_stats");
      memoryUsage = memoryUsage == null ? List.of() : memoryUsage;
    }

    static ModelStatsBody of(ModelStatistics s) {
      return new ModelStatsBody(
          s.name(),
          s.version(),
          s.lastInference(),
          s.inferenceCount(),
          s.executionCount(),
          InferenceStatsBody.of(s.inferenceStats()),
          map(s.batchStats(), BatchStatsBody::of),
          List.of());
    }

    ModelStatistics toCore() {
      return new ModelStatistics(
          name,
          version,
          lastInference,
          inferenceCount,
          executionCount,
          inferenceStats.toCore(),
          map(batchStats, BatchStatsBody::toCore));
    }
  }

  record InferenceStatsBody(
      DurationBody success,
      DurationBody fail,
      DurationBody queue,
      DurationBody computeInput,
      DurationBody computeInfer,
      DurationBody computeOutput,
      DurationBody cacheHit,
      DurationBody cacheMiss) {
    static final InferenceStatsBody ZERO =
        new InferenceStatsBody(null, null, null, null, null, null, null, null);

    InferenceStatsBody {
      success = DurationBody.orZero(success);
      fail = DurationBody.orZero(fail);
      queue = DurationBody.orZero(queue);
      computeInput = DurationBody.orZero(computeInput);
      computeInfer = DurationBody.orZero(computeInfer);
      computeOutput = DurationBody.orZero(computeOutput);
      cacheHit = DurationBody.orZero(cacheHit);
      cacheMiss = DurationBody.orZero(cacheMiss);
    }

    static InferenceStatsBody of(ModelStatistics.InferenceStats i) {
      return new InferenceStatsBody(
          DurationBody.of(i.success()),
          DurationBody.of(i.fail()),
          DurationBody.of(i.queue()),
          DurationBody.of(i.computeInput()),
          DurationBody.of(i.computeInfer()),
          DurationBody.of(i.computeOutput()),
          null,
          null);
    }

    ModelStatistics.InferenceStats toCore() {
      return new ModelStatistics.InferenceStats(
          success.toCore(),
          fail.toCore(),
          queue.toCore(),
          computeInput.toCore(),
          computeInfer.toCore(),
          computeOutput.toCore());
    }
  }

  record BatchStatsBody(
      int batchSize,
      DurationBody computeInput,
      DurationBody computeInfer,
      DurationBody computeOutput) {
    BatchStatsBody {
      computeInput = DurationBody.orZero(computeInput);
      computeInfer = DurationBody.orZero(computeInfer);
      computeOutput = DurationBody.orZero(computeOutput);
    }

    static BatchStatsBody of(ModelStatistics.BatchStats b) {
      return new BatchStatsBody(
          b.batchSize(),
          DurationBody.of(b.computeInput()),
          DurationBody.of(b.computeInfer()),
          DurationBody.of(b.computeOutput()));
    }

    ModelStatistics.BatchStats toCore() {
      return new ModelStatistics.BatchStats(
          batchSize, computeInput.toCore(), computeInfer.toCore(), computeOutput.toCore());
    }
  }

  record DurationBody(long count, long ns) {
    private static final DurationBody ZERO = new DurationBody(0, 0);

    static DurationBody orZero(DurationBody d) {
      return d == null ? ZERO : d;
    }

    static DurationBody of(ModelStatistics.Duration d) {
      return d == null ? ZERO : new DurationBody(d.count(), d.ns());
    }

    ModelStatistics.Duration toCore() {
      return new ModelStatistics.Duration(count, ns);
    }
  }

  /** A repository index row; {@code version} is left out for a model with no loaded version. */
  record RepositoryEntryBody(
      String name,
      @JsonInclude(JsonInclude.Include.NON_EMPTY) String version,
      String state,
      String reason) {
    RepositoryEntryBody {
      required(name, "name");
      version = Objects.requireNonNullElse(version, "");
      state = Objects.requireNonNullElse(state, "");
      reason = Objects.requireNonNullElse(reason, "");
    }

    static RepositoryEntryBody of(RepositoryEntry e) {
      return new RepositoryEntryBody(e.name(), e.version(), e.state(), e.reason());
    }

    RepositoryEntry toCore() {
      return new RepositoryEntry(name, version, state, reason);
    }
  }

  /** {@code {"ready": bool}}: whether only ready models are asked for; absent is false. */
  record RepositoryIndexRequestBody(Boolean ready) {}

  /**
   * A repository load or unload: {@code {"parameters": {...}}} of strings, numbers and booleans;
   * left out when there are none.
   */
  record RepositoryRequestBody(
      @JsonInclude(JsonInclude.Include.NON_EMPTY)
          @JsonSerialize(using = AnyValues.Writer.class)
          @JsonDeserialize(using = ScalarParameters.class)
          Map<String, Object> parameters) {
    RepositoryRequestBody {
      parameters = parameters == null ? Map.of() : parameters;
    }
  }

  // ---- the free-form maps: the same values as the inference bodies' parameters ----------------

  /**
   * Free-form metadata values (strings, numbers, booleans, lists and objects of those), read and
   * written as the inference codec does: integers are Long (BigInteger past its range), other
   * numbers Double; a {@code null} member is left out.
   */
  static final class AnyValues {
    private AnyValues() {}

    static final class Writer extends JsonSerializer<Map<String, Object>> {
      @Override
      public void serialize(Map<String, Object> value, JsonGenerator g, SerializerProvider p)
          throws IOException {
        Json.writeValue(g, value);
      }

      @Override
      public boolean isEmpty(SerializerProvider p, Map<String, Object> value) {
        return value == null || value.isEmpty();
      }
    }

    static final class Reader extends JsonDeserializer<Map<String, Object>> {
      @Override
      public Map<String, Object> deserialize(JsonParser p, DeserializationContext ctxt)
          throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
          throw StrataException.invalid("parameters: %s (expected: an object)", Json.describe(p));
        }
        Map<?, ?> m = (Map<?, ?>) Json.value(p);
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach(
            (k, v) -> {
              if (v != null) {
                out.put((String) k, v);
              }
            });
        return out;
      }
    }
  }

  /** A repository request's parameters: scalars only, as Triton takes them. */
  static final class ScalarParameters extends JsonDeserializer<Map<String, Object>> {
    @Override
    public Map<String, Object> deserialize(JsonParser p, DeserializationContext ctxt)
        throws IOException {
      return Json.parameters(p, "parameters");
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static void required(String value, String field) {
    if (value == null) {
      throw StrataException.invalid("%s: missing (expected: a string)", field);
    }
  }

  /** An absent list reads as empty; a {@code null} element is an error naming the list. */
  private static <T> List<T> list(List<T> l, String field) {
    if (l == null) {
      return List.of();
    }
    for (int i = 0; i < l.size(); i++) {
      if (l.get(i) == null) {
        throw StrataException.invalid("%s[%d]: null (expected: a value)", field, i);
      }
    }
    return List.copyOf(l);
  }

  private static <A, B> List<B> map(List<A> in, Function<A, B> f) {
    List<B> out = new ArrayList<>(in.size());
    for (A a : in) {
      out.add(f.apply(a));
    }
    return out;
  }
}
