package dev.strata.runtime;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.strata.core.DataType;
import dev.strata.core.ErrorCode;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.runtime.ModelConfig.DynamicBatching;
import dev.strata.runtime.ModelConfig.Instances;
import dev.strata.runtime.ModelConfig.TensorConfig;
import dev.strata.runtime.ModelConfig.VersionPolicy;
import dev.strata.runtime.ModelConfig.WarmupInput;
import dev.strata.runtime.ModelConfig.WarmupSample;
import dev.strata.runtime.backend.Backend;
import dev.strata.runtime.backend.Backends;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Parses {@code config.json} with Jackson into {@link ModelConfig}. The JSON is first bound to the
 * raw records below (snake_case, Triton's names accepted as aliases, unknown fields rejected), then
 * checked and converted; every error names the file and the field.
 */
final class ModelConfigReader {
  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .build();

  private ModelConfigReader() {}

  static ModelConfig read(Path file) {
    String json;
    try {
      json = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new StrataException(
          ErrorCode.INVALID_ARGUMENT, file + ": cannot read (" + e.getMessage() + ")", e);
    }
    return parse(file.toString(), json);
  }

  static ModelConfig parse(String source, String json) {
    RawConfig raw;
    try {
      raw = MAPPER.readValue(json, RawConfig.class);
    } catch (UnrecognizedPropertyException e) {
      String known =
          e.getKnownPropertyIds().stream()
              .map(Object::toString)
              .sorted()
              .collect(Collectors.joining(", "));
      throw new StrataException(
          ErrorCode.INVALID_ARGUMENT,
          String.format(
              "%s: unknown field '%s'%s (expected one of: %s)",
              source, e.getPropertyName(), where(e, true), known),
          e);
    } catch (JsonMappingException e) {
      if (e.getPath().isEmpty()) {
        throw new StrataException(
            ErrorCode.INVALID_ARGUMENT, source + ": not a JSON object (expected: {...})", e);
      }
      throw new StrataException(
          ErrorCode.INVALID_ARGUMENT,
          String.format(
              "%s: invalid value%s: %s",
              source, where(e, false), firstLine(e.getOriginalMessage())),
          e);
    } catch (JsonProcessingException e) {
      String at =
          e.getLocation() == null
              ? ""
              : String.format(
                  " at line %d, column %d",
                  e.getLocation().getLineNr(), e.getLocation().getColumnNr());
      throw new StrataException(
          ErrorCode.INVALID_ARGUMENT,
          source + ": not valid JSON" + at + " (" + firstLine(e.getOriginalMessage()) + ")",
          e);
    }
    if (raw == null) {
      throw StrataException.invalid("%s: empty (expected: a JSON object)", source);
    }
    try {
      return convert(raw);
    } catch (StrataException e) {
      throw new StrataException(e.code(), source + ": " + e.getMessage(), e);
    }
  }

  private static ModelConfig convert(RawConfig raw) {
    Optional<Backend> byPlatform = named("platform", raw.platform());
    Optional<Backend> byBackend = named("backend", raw.backend());
    if (byPlatform.isPresent() && byBackend.isPresent() && byPlatform.get() != byBackend.get()) {
      throw StrataException.invalid(
          "platform '%s' and backend '%s' name different backends (expected: one)",
          raw.platform(), raw.backend());
    }
    return new ModelConfig(
        Optional.ofNullable(raw.name()),
        byBackend.or(() -> byPlatform).map(Backend::name),
        raw.maxBatchSize() == null ? OptionalInt.empty() : OptionalInt.of(raw.maxBatchSize()),
        batching(raw.dynamicBatching()),
        instances(raw.instances()),
        policy(raw.versionPolicy()),
        tensors("inputs", raw.inputs()),
        tensors("outputs", raw.outputs()),
        Optional.ofNullable(raw.labels()),
        warmup(raw.warmup()),
        parameters(raw.parameters()));
  }

  private static Map<String, String> parameters(Map<String, String> raw) {
    if (raw == null) {
      return Map.of();
    }
    for (Map.Entry<String, String> e : raw.entrySet()) {
      if (e.getValue() == null) {
        throw StrataException.invalid("parameters '%s': null (expected: a string)", e.getKey());
      }
    }
    return raw;
  }

  private static Optional<Backend> named(String field, String value) {
    if (value == null) {
      return Optional.empty();
    }
    Optional<Backend> b = Backends.builtIn().forName(value);
    if (b.isEmpty()) {
      throw StrataException.invalid(
          "%s: '%s' (expected one of: %s)",
          field, value, String.join(", ", Backends.builtIn().names()));
    }
    return b;
  }

  private static DynamicBatching batching(RawBatching b) {
    if (b == null) {
      return DynamicBatching.DEFAULT;
    }
    return new DynamicBatching(
        b.maxQueueDelayMicros() == null ? 0 : b.maxQueueDelayMicros(),
        b.preferredBatchSizes() == null ? List.of() : b.preferredBatchSizes(),
        b.maxQueueSize() == null ? OptionalInt.empty() : OptionalInt.of(b.maxQueueSize()),
        b.defaultTimeoutMicros() == null ? 0 : b.defaultTimeoutMicros());
  }

  private static Instances instances(RawInstances i) {
    if (i == null) {
      return Instances.DEFAULT;
    }
    return new Instances(
        i.count() == null ? OptionalInt.empty() : OptionalInt.of(i.count()),
        i.intraOpThreads() == null ? OptionalInt.empty() : OptionalInt.of(i.intraOpThreads()),
        i.interOpThreads() == null ? 1 : i.interOpThreads());
  }

  private static VersionPolicy policy(RawPolicy p) {
    if (p == null) {
      return VersionPolicy.Latest.ONE;
    }
    int given =
        (p.latest() != null ? 1 : 0) + (p.specific() != null ? 1 : 0) + (p.all() != null ? 1 : 0);
    if (given != 1) {
      throw StrataException.invalid(
          "version_policy: %d policies given (expected: exactly one of latest, specific, all)",
          given);
    }
    if (p.latest() != null) {
      if (p.latest().numVersions() == null) {
        throw StrataException.invalid("version_policy.latest.num_versions: missing");
      }
      return new VersionPolicy.Latest(p.latest().numVersions());
    }
    if (p.specific() != null) {
      if (p.specific().versions() == null) {
        throw StrataException.invalid("version_policy.specific.versions: missing");
      }
      return new VersionPolicy.Specific(p.specific().versions());
    }
    return new VersionPolicy.All();
  }

  private static List<TensorConfig> tensors(String field, List<RawTensor> raw) {
    if (raw == null) {
      return List.of();
    }
    List<TensorConfig> out = new ArrayList<>(raw.size());
    TreeSet<String> names = new TreeSet<>();
    for (int i = 0; i < raw.size(); i++) {
      RawTensor t = raw.get(i);
      if (t == null || t.name() == null || t.name().isEmpty()) {
        throw StrataException.invalid("%s[%d].name: missing", field, i);
      }
      if (!names.add(t.name())) {
        throw StrataException.invalid("%s: '%s' appears twice", field, t.name());
      }
      if (t.dataType() == null) {
        throw StrataException.invalid("%s '%s': data_type missing", field, t.name());
      }
      if (t.dims() == null) {
        throw StrataException.invalid("%s '%s': dims missing", field, t.name());
      }
      DataType type;
      Shape dims;
      try {
        type = DataType.fromWireName(t.dataType());
        dims = Shape.of(t.dims());
      } catch (StrataException e) {
        throw StrataException.invalid("%s '%s': %s", field, t.name(), e.getMessage());
      }
      if (t.labels() != null && field.equals("inputs")) {
        throw StrataException.invalid("inputs '%s': labels apply to outputs only", t.name());
      }
      out.add(new TensorConfig(t.name(), type, dims, Optional.ofNullable(t.labels())));
    }
    return out;
  }

  private static List<WarmupSample> warmup(List<RawWarmup> raw) {
    if (raw == null) {
      return List.of();
    }
    List<WarmupSample> out = new ArrayList<>(raw.size());
    for (int i = 0; i < raw.size(); i++) {
      RawWarmup w = raw.get(i);
      String name = w.name() == null ? "sample " + i : w.name();
      Map<String, WarmupInput> inputs = new LinkedHashMap<>();
      if (w.inputs() != null) {
        for (Map.Entry<String, RawWarmupInput> e : w.inputs().entrySet()) {
          inputs.put(e.getKey(), warmupInput(name, e.getKey(), e.getValue()));
        }
      }
      out.add(
          new WarmupSample(
              name,
              w.batchSize() == null ? 1 : w.batchSize(),
              w.count() == null ? 1 : w.count(),
              inputs));
    }
    return out;
  }

  private static WarmupInput warmupInput(String sample, String input, RawWarmupInput raw) {
    boolean zero = raw != null && Boolean.TRUE.equals(raw.zeroData());
    boolean random = raw != null && Boolean.TRUE.equals(raw.randomData());
    if (zero && random) {
      throw StrataException.invalid(
          "warmup '%s' input '%s': both zero_data and random_data (expected: one)", sample, input);
    }
    try {
      return new WarmupInput(
          random,
          raw == null || raw.dims() == null ? Optional.empty() : Optional.of(Shape.of(raw.dims())),
          raw == null || raw.dataType() == null
              ? Optional.empty()
              : Optional.of(DataType.fromWireName(raw.dataType())));
    } catch (StrataException e) {
      throw StrataException.invalid("warmup '%s' input '%s': %s", sample, input, e.getMessage());
    }
  }

  private static String where(JsonMappingException e, boolean dropLast) {
    List<JsonMappingException.Reference> path = e.getPath();
    int end = dropLast ? path.size() - 1 : path.size();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < end; i++) {
      JsonMappingException.Reference r = path.get(i);
      if (r.getFieldName() != null) {
        if (!sb.isEmpty()) {
          sb.append('.');
        }
        sb.append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        sb.append('[').append(r.getIndex()).append(']');
      }
    }
    if (sb.isEmpty()) {
      return dropLast ? " at the top level" : "";
    }
    return (dropLast ? " in " : " at ") + sb;
  }

  /** The first line of Jackson's message, without the source excerpt it may quote. */
  private static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int nl = message.indexOf('\n');
    String line = nl < 0 ? message : message.substring(0, nl);
    int source = line.indexOf(" (start marker at");
    return source < 0 ? line : line.substring(0, source);
  }

  // ---- the JSON as written --------------------------------------------------------------------

  record RawConfig(
      @JsonProperty("name") String name,
      @JsonProperty("platform") String platform,
      @JsonProperty("backend") String backend,
      @JsonProperty("max_batch_size") Integer maxBatchSize,
      @JsonProperty("dynamic_batching") RawBatching dynamicBatching,
      @JsonProperty("instances") RawInstances instances,
      @JsonProperty("version_policy") RawPolicy versionPolicy,
      @JsonProperty("inputs") @JsonAlias("input") List<RawTensor> inputs,
      @JsonProperty("outputs") @JsonAlias("output") List<RawTensor> outputs,
      @JsonProperty("labels") String labels,
      @JsonProperty("warmup") @JsonAlias("model_warmup") List<RawWarmup> warmup,
      @JsonProperty("parameters") Map<String, String> parameters) {}

  record RawBatching(
      @JsonProperty("max_queue_delay_us") @JsonAlias("max_queue_delay_microseconds")
          Long maxQueueDelayMicros,
      @JsonProperty("preferred_batch_sizes") @JsonAlias("preferred_batch_size")
          List<Integer> preferredBatchSizes,
      @JsonProperty("max_queue_size") Integer maxQueueSize,
      @JsonProperty("default_timeout_us") @JsonAlias("default_timeout_microseconds")
          Long defaultTimeoutMicros) {}

  record RawInstances(
      @JsonProperty("count") Integer count,
      @JsonProperty("intra_op_threads") Integer intraOpThreads,
      @JsonProperty("inter_op_threads") Integer interOpThreads) {}

  record RawPolicy(
      @JsonProperty("latest") RawLatest latest,
      @JsonProperty("specific") RawSpecific specific,
      @JsonProperty("all") RawAll all) {}

  record RawLatest(@JsonProperty("num_versions") Integer numVersions) {}

  record RawSpecific(@JsonProperty("versions") List<Long> versions) {}

  record RawAll() {}

  record RawTensor(
      @JsonProperty("name") String name,
      @JsonProperty("data_type") @JsonAlias("datatype") String dataType,
      @JsonProperty("dims") List<Long> dims,
      @JsonProperty("labels") @JsonAlias("label_filename") String labels) {}

  record RawWarmup(
      @JsonProperty("name") String name,
      @JsonProperty("batch_size") Integer batchSize,
      @JsonProperty("count") Integer count,
      @JsonProperty("inputs") Map<String, RawWarmupInput> inputs) {}

  record RawWarmupInput(
      @JsonProperty("data_type") @JsonAlias("datatype") String dataType,
      @JsonProperty("dims") List<Long> dims,
      @JsonProperty("zero_data") Boolean zeroData,
      @JsonProperty("random_data") Boolean randomData) {}
}
