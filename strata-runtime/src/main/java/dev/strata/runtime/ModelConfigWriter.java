package dev.strata.runtime;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.strata.core.Shape;
import dev.strata.runtime.ModelConfig.DynamicBatching;
import dev.strata.runtime.ModelConfig.Instances;
import dev.strata.runtime.ModelConfig.TensorConfig;
import dev.strata.runtime.ModelConfig.VersionPolicy;
import dev.strata.runtime.ModelConfig.WarmupInput;
import dev.strata.runtime.ModelConfig.WarmupSample;
import dev.strata.runtime.ModelConfigReader.RawAll;
import dev.strata.runtime.ModelConfigReader.RawBatching;
import dev.strata.runtime.ModelConfigReader.RawConfig;
import dev.strata.runtime.ModelConfigReader.RawInstances;
import dev.strata.runtime.ModelConfigReader.RawLatest;
import dev.strata.runtime.ModelConfigReader.RawPolicy;
import dev.strata.runtime.ModelConfigReader.RawSpecific;
import dev.strata.runtime.ModelConfigReader.RawTensor;
import dev.strata.runtime.ModelConfigReader.RawWarmup;
import dev.strata.runtime.ModelConfigReader.RawWarmupInput;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@link ModelConfig} as {@code config.json}, through the same raw records {@link
 * ModelConfigReader} binds, so that what is written reads back equal. Fields at their defaults are
 * left out; the output is stable (same config, same bytes), so a rewrite can be skipped when
 * nothing changed.
 */
final class ModelConfigWriter {
  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .serializationInclusion(JsonInclude.Include.NON_NULL)
          .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
          .enable(SerializationFeature.INDENT_OUTPUT)
          .build();

  private ModelConfigWriter() {}

  static String write(ModelConfig c) {
    RawConfig raw =
        new RawConfig(
            c.name().orElse(null),
            null,
            c.backend().orElse(null),
            c.maxBatchSize().isPresent() ? c.maxBatchSize().getAsInt() : null,
            batching(c.dynamicBatching()),
            instances(c.instances()),
            policy(c.versionPolicy()),
            tensors(c.inputs()),
            tensors(c.outputs()),
            c.labels().orElse(null),
            warmup(c.warmup()),
            c.parameters().isEmpty() ? null : new java.util.TreeMap<>(c.parameters()));
    try {
      return MAPPER.writeValueAsString(raw) + "\n";
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static RawBatching batching(DynamicBatching b) {
    if (b.equals(DynamicBatching.DEFAULT)) {
      return null;
    }
    return new RawBatching(
        b.maxQueueDelayMicros(),
        b.preferredBatchSizes().isEmpty() ? null : b.preferredBatchSizes(),
        b.maxQueueSize().isPresent() ? b.maxQueueSize().getAsInt() : null,
        b.defaultTimeoutMicros());
  }

  private static RawInstances instances(Instances i) {
    if (i.equals(Instances.DEFAULT)) {
      return null;
    }
    return new RawInstances(
        i.count().isPresent() ? i.count().getAsInt() : null,
        i.intraOpThreads().isPresent() ? i.intraOpThreads().getAsInt() : null,
        i.interOpThreads());
  }

  private static RawPolicy policy(VersionPolicy p) {
    return switch (p) {
      case VersionPolicy.Latest l when l.equals(VersionPolicy.Latest.ONE) -> null;
      case VersionPolicy.Latest l -> new RawPolicy(new RawLatest(l.numVersions()), null, null);
      case VersionPolicy.Specific s -> new RawPolicy(null, new RawSpecific(s.versions()), null);
      case VersionPolicy.All a -> new RawPolicy(null, null, new RawAll());
    };
  }

  private static List<RawTensor> tensors(List<TensorConfig> tensors) {
    if (tensors.isEmpty()) {
      return null;
    }
    List<RawTensor> out = new ArrayList<>(tensors.size());
    for (TensorConfig t : tensors) {
      out.add(
          new RawTensor(
              t.name(), t.dataType().wireName(), dims(t.dims()), t.labels().orElse(null)));
    }
    return out;
  }

  private static List<Long> dims(Shape shape) {
    List<Long> out = new ArrayList<>(shape.rank());
    for (long d : shape.toArray()) {
      out.add(d);
    }
    return out;
  }

  private static List<RawWarmup> warmup(List<WarmupSample> samples) {
    if (samples.isEmpty()) {
      return null;
    }
    List<RawWarmup> out = new ArrayList<>(samples.size());
    for (WarmupSample s : samples) {
      Map<String, RawWarmupInput> inputs = new LinkedHashMap<>();
      new java.util.TreeMap<>(s.inputs()).forEach((name, in) -> inputs.put(name, input(in)));
      out.add(new RawWarmup(s.name(), s.batchSize(), s.count(), inputs.isEmpty() ? null : inputs));
    }
    return out;
  }

  private static RawWarmupInput input(WarmupInput in) {
    return new RawWarmupInput(
        in.dataType().map(t -> t.wireName()).orElse(null),
        in.dims().map(ModelConfigWriter::dims).orElse(null),
        null,
        in.random() ? Boolean.TRUE : null);
  }
}
