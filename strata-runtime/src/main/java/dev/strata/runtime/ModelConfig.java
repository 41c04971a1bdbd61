package dev.strata.runtime;

import static java.util.Objects.requireNonNull;

import dev.strata.core.DataType;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A model's {@code config.json}, as parsed: what it says, before the runtime fills the gaps from
 * the ONNX file and {@link RuntimeConfig}. The JSON format is described in the module's README.
 *
 * @param name the model name, which must equal the directory name when present
 * @param backend the backend that serves it ({@link dev.strata.runtime.backend.Backend#name()},
 *     from Triton's {@code backend} or {@code platform}); empty: chosen by the model file
 * @param maxBatchSize 0: the model does not batch; {@code > 0}: the first dimension of every input
 *     and output is the batch; empty: derived from the ONNX file
 * @param dynamicBatching the scheduler's settings
 * @param instances how many sessions serve each version, and their threads
 * @param versionPolicy which versions on disk are served
 * @param inputs the inputs (without the batch dimension); empty: taken from the ONNX file
 * @param outputs the outputs served (without the batch dimension); empty: all, from the ONNX file
 * @param labels a labels file in the model directory used for outputs without their own
 * @param warmup warm-up samples run on every instance before a version is ready
 * @param parameters free-form settings for whoever serves the model beside the runtime (Triton's
 *     {@code parameters}, e.g. {@code pooling} for text embeddings); the runtime ignores the keys
 *     it does not know, but refuses the ONNX Runtime backend's own keys it would not honour
 */
public record ModelConfig(
    Optional<String> name,
    Optional<String> backend,
    OptionalInt maxBatchSize,
    DynamicBatching dynamicBatching,
    Instances instances,
    VersionPolicy versionPolicy,
    List<TensorConfig> inputs,
    List<TensorConfig> outputs,
    Optional<String> labels,
    List<WarmupSample> warmup,
    Map<String, String> parameters) {

  /** The configuration of a model without {@code config.json}. */
  public static final ModelConfig DEFAULT =
      new ModelConfig(
          Optional.empty(),
          Optional.empty(),
          OptionalInt.empty(),
          DynamicBatching.DEFAULT,
          Instances.DEFAULT,
          VersionPolicy.Latest.ONE,
          List.of(),
          List.of(),
          Optional.empty(),
          List.of(),
          Map.of());

  /**
   * Keys of Triton's ONNX Runtime backend that Strata does not honour: refused, never ignored. The
   * thread counts it does honour are {@link Instances}.
   */
  static final Set<String> ONNX_RUNTIME_BACKEND_KEYS =
      Set.of(
          "execution_mode",
          "enable_mem_arena",
          "enable_mem_pattern",
          "memory.enable_memory_arena_shrinkage",
          "session.use_device_allocator_for_initializers",
          "cudnn_conv_algo_search",
          "gpu_mem_limit",
          "arena_extend_strategy",
          "do_copy_in_default_stream",
          "enable_cuda_graph",
          "cudnn_conv_use_max_workspace",
          "use_ep_level_unified_stream");

  public ModelConfig {
    requireNonNull(name, "name");
    requireNonNull(backend, "backend");
    if (backend.isPresent()
        && dev.strata.runtime.backend.Backends.builtIn().forName(backend.get()).isEmpty()) {
      throw StrataException.invalid(
          "backend: '%s' (expected one of: %s)",
          backend.get(), String.join(", ", dev.strata.runtime.backend.Backends.builtIn().names()));
    }
    requireNonNull(maxBatchSize, "maxBatchSize");
    if (maxBatchSize.isPresent() && maxBatchSize.getAsInt() < 0) {
      throw StrataException.invalid("max_batch_size: %d (expected: >= 0)", maxBatchSize.getAsInt());
    }
    requireNonNull(dynamicBatching, "dynamicBatching");
    requireNonNull(instances, "instances");
    requireNonNull(versionPolicy, "versionPolicy");
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    requireNonNull(labels, "labels");
    warmup = List.copyOf(warmup);
    parameters = Map.copyOf(parameters);
    for (String key : parameters.keySet()) {
      if (key.isBlank()) {
        throw StrataException.invalid("parameters: empty key (expected: a name)");
      }
      if (key.equals(TritonConfigReader.INTRA_OP_THREADS)
          || key.equals(TritonConfigReader.INTER_OP_THREADS)) {
        throw StrataException.invalid(
            "parameters '%s': set through instances (intra_op_threads, inter_op_threads)", key);
      }
      if (ONNX_RUNTIME_BACKEND_KEYS.contains(key)) {
        throw StrataException.invalid(
            "parameters '%s' is not supported by Strata (of the ONNX Runtime backend's"
                + " settings it honours %s, %s)",
            key, TritonConfigReader.INTRA_OP_THREADS, TritonConfigReader.INTER_OP_THREADS);
      }
    }
  }

  /**
   * Reads a {@code config.json} file.
   *
   * @throws StrataException INVALID_ARGUMENT naming the file and the field at fault
   */
  public static ModelConfig read(Path file) {
    return ModelConfigReader.read(file);
  }

  /**
   * Parses {@code config.json} content; {@code source} names it in error messages.
   *
   * @throws StrataException INVALID_ARGUMENT naming the source and the field at fault
   */
  public static ModelConfig parse(String source, String json) {
    return ModelConfigReader.parse(source, json);
  }

  /** A builder starting from these settings (for configuration in code). */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** A builder starting from {@link #DEFAULT}. */
  public static Builder builder() {
    return new Builder(DEFAULT);
  }

  /** This configuration as {@code config.json} content, which {@link #parse} reads back equal. */
  public String toJson() {
    return ModelConfigWriter.write(this);
  }

  /**
   * Builds a {@link ModelConfig} in code: every field {@code config.json} can set can be set here,
   * checked the same way when {@link #build()} makes the record.
   */
  public static final class Builder {
    private Optional<String> name;
    private Optional<String> backend;
    private OptionalInt maxBatchSize;
    private DynamicBatching dynamicBatching;
    private Instances instances;
    private VersionPolicy versionPolicy;
    private List<TensorConfig> inputs;
    private List<TensorConfig> outputs;
    private Optional<String> labels;
    private List<WarmupSample> warmup;
    private Map<String, String> parameters;

    private Builder(ModelConfig c) {
      name = c.name;
      backend = c.backend;
      maxBatchSize = c.maxBatchSize;
      dynamicBatching = c.dynamicBatching;
      instances = c.instances;
      versionPolicy = c.versionPolicy;
      inputs = c.inputs;
      outputs = c.outputs;
      labels = c.labels;
      warmup = c.warmup;
      parameters = c.parameters;
    }

    public Builder name(String name) {
      this.name = Optional.of(name);
      return this;
    }

    public Builder backend(String backend) {
      this.backend = Optional.of(backend);
      return this;
    }

    public Builder maxBatchSize(int maxBatchSize) {
      this.maxBatchSize = OptionalInt.of(maxBatchSize);
      return this;
    }

    public Builder dynamicBatching(DynamicBatching dynamicBatching) {
      this.dynamicBatching = requireNonNull(dynamicBatching, "dynamicBatching");
      return this;
    }

    public Builder instances(Instances instances) {
      this.instances = requireNonNull(instances, "instances");
      return this;
    }

    public Builder versionPolicy(VersionPolicy versionPolicy) {
      this.versionPolicy = requireNonNull(versionPolicy, "versionPolicy");
      return this;
    }

    /** Serve exactly these versions. */
    public Builder versions(java.util.Collection<Long> versions) {
      return versionPolicy(new VersionPolicy.Specific(List.copyOf(versions)));
    }

    public Builder inputs(List<TensorConfig> inputs) {
      this.inputs = List.copyOf(inputs);
      return this;
    }

    public Builder outputs(List<TensorConfig> outputs) {
      this.outputs = List.copyOf(outputs);
      return this;
    }

    /** A labels file in the model directory, for outputs without their own. */
    public Builder labels(String file) {
      this.labels = Optional.of(file);
      return this;
    }

    public Builder warmup(List<WarmupSample> warmup) {
      this.warmup = List.copyOf(warmup);
      return this;
    }

    /** Replaces the free-form parameters. */
    public Builder parameters(Map<String, String> parameters) {
      this.parameters = Map.copyOf(parameters);
      return this;
    }

    /** Sets one free-form parameter, keeping the others. */
    public Builder parameter(String key, String value) {
      java.util.HashMap<String, String> copy = new java.util.HashMap<>(parameters);
      copy.put(requireNonNull(key, "key"), requireNonNull(value, "value"));
      this.parameters = Map.copyOf(copy);
      return this;
    }

    public ModelConfig build() {
      return new ModelConfig(
          name,
          backend,
          maxBatchSize,
          dynamicBatching,
          instances,
          versionPolicy,
          inputs,
          outputs,
          labels,
          warmup,
          parameters);
    }
  }

  /**
   * The dynamic batcher's settings.
   *
   * @param maxQueueDelayMicros how long the oldest queued request may wait for a batch to fill; 0
   *     takes what is queued at once
   * @param preferredBatchSizes batch sizes executed as soon as they can be formed
   * @param maxQueueSize the queue bound (full: RESOURCE_EXHAUSTED at once); 0 means unbounded;
   *     empty: {@link RuntimeConfig#defaultMaxQueueSize()}
   * @param defaultTimeoutMicros the timeout of requests without one; 0: none
   */
  public record DynamicBatching(
      long maxQueueDelayMicros,
      List<Integer> preferredBatchSizes,
      OptionalInt maxQueueSize,
      long defaultTimeoutMicros) {
    public static final DynamicBatching DEFAULT =
        new DynamicBatching(0, List.of(), OptionalInt.empty(), 0);

    public DynamicBatching {
      if (maxQueueDelayMicros < 0) {
        throw StrataException.invalid(
            "dynamic_batching.max_queue_delay_us: %d (expected: >= 0)", maxQueueDelayMicros);
      }
      preferredBatchSizes = List.copyOf(new TreeSet<>(preferredBatchSizes));
      for (int size : preferredBatchSizes) {
        if (size < 1) {
          throw StrataException.invalid(
              "dynamic_batching.preferred_batch_sizes: %d (expected: > 0)", size);
        }
      }
      requireNonNull(maxQueueSize, "maxQueueSize");
      if (maxQueueSize.isPresent() && maxQueueSize.getAsInt() < 0) {
        throw StrataException.invalid(
            "dynamic_batching.max_queue_size: %d (expected: >= 0, 0 for unbounded)",
            maxQueueSize.getAsInt());
      }
      if (defaultTimeoutMicros < 0) {
        throw StrataException.invalid(
            "dynamic_batching.default_timeout_us: %d (expected: >= 0)", defaultTimeoutMicros);
      }
    }
  }

  /**
   * How each version is served: {@code count} ONNX Runtime sessions, each with its own worker
   * thread and these thread settings.
   *
   * @param count instances; empty: {@link RuntimeConfig#defaultInstanceCount()}
   * @param intraOpThreads ONNX Runtime intra-op threads per instance; empty or 0: {@link
   *     RuntimeConfig#defaultIntraOpThreads()}, where 0 shares the processors among the instances
   * @param interOpThreads ONNX Runtime inter-op threads (execution is sequential, so 1 suffices)
   */
  public record Instances(OptionalInt count, OptionalInt intraOpThreads, int interOpThreads) {
    public static final Instances DEFAULT =
        new Instances(OptionalInt.empty(), OptionalInt.empty(), 1);

    public Instances {
      requireNonNull(count, "count");
      requireNonNull(intraOpThreads, "intraOpThreads");
      if (count.isPresent() && count.getAsInt() < 1) {
        throw StrataException.invalid("instances.count: %d (expected: > 0)", count.getAsInt());
      }
      if (intraOpThreads.isPresent() && intraOpThreads.getAsInt() < 0) {
        throw StrataException.invalid(
            "instances.intra_op_threads: %d (expected: >= 0)", intraOpThreads.getAsInt());
      }
      if (interOpThreads < 1) {
        throw StrataException.invalid(
            "instances.inter_op_threads: %d (expected: > 0)", interOpThreads);
      }
    }
  }

  /** Which of the versions on disk are served, as in Triton's {@code version_policy}. */
  public sealed interface VersionPolicy {
    /** The selected versions among {@code available}. */
    SortedSet<Long> select(SortedSet<Long> available);

    /** The newest {@code numVersions} versions. */
    record Latest(int numVersions) implements VersionPolicy {
      public static final Latest ONE = new Latest(1);

      public Latest {
        if (numVersions < 1) {
          throw StrataException.invalid(
              "version_policy.latest.num_versions: %d (expected: > 0)", numVersions);
        }
      }

      @Override
      public SortedSet<Long> select(SortedSet<Long> available) {
        TreeSet<Long> out = new TreeSet<>();
        for (Long v : new TreeSet<>(available).descendingSet()) {
          if (out.size() == numVersions) {
            break;
          }
          out.add(v);
        }
        return out;
      }
    }

    /** Exactly these versions (those missing on disk are not served). */
    record Specific(List<Long> versions) implements VersionPolicy {
      public Specific {
        versions = List.copyOf(new TreeSet<>(versions));
        if (versions.isEmpty()) {
          throw StrataException.invalid(
              "version_policy.specific.versions: empty (expected: at least one version)");
        }
        for (long v : versions) {
          if (v < 1) {
            throw StrataException.invalid(
                "version_policy.specific.versions: %d (expected: > 0)", v);
          }
        }
      }

      @Override
      public SortedSet<Long> select(SortedSet<Long> available) {
        TreeSet<Long> out = new TreeSet<>(available);
        out.retainAll(versions);
        return out;
      }
    }

    /** Every version on disk. */
    record All() implements VersionPolicy {
      @Override
      public SortedSet<Long> select(SortedSet<Long> available) {
        return new TreeSet<>(available);
      }
    }
  }

  /**
   * An input or output as the config declares it.
   *
   * @param name the ONNX name
   * @param dataType the datatype
   * @param dims the shape without the batch dimension when the model batches; -1 is dynamic
   * @param labels for an output, a labels file in the model directory (one label per line)
   */
  public record TensorConfig(String name, DataType dataType, Shape dims, Optional<String> labels) {
    public TensorConfig {
      requireNonNull(name, "name");
      requireNonNull(dataType, "dataType");
      requireNonNull(dims, "dims");
      requireNonNull(labels, "labels");
    }
  }

  /**
   * One warm-up sample: {@code count} runs of a batch of {@code batchSize} (ignored when the model
   * does not batch) with generated data.
   *
   * @param name a name for logs
   * @param batchSize rows per run
   * @param count runs per instance
   * @param inputs per input, how to make its data; inputs not named get zeros
   */
  public record WarmupSample(
      String name, int batchSize, int count, Map<String, WarmupInput> inputs) {
    public WarmupSample {
      requireNonNull(name, "name");
      if (batchSize < 1) {
        throw StrataException.invalid(
            "warmup '%s': batch_size %d (expected: > 0)", name, batchSize);
      }
      if (count < 1) {
        throw StrataException.invalid("warmup '%s': count %d (expected: > 0)", name, count);
      }
      inputs = Map.copyOf(inputs);
    }
  }

  /**
   * How one warm-up input is made.
   *
   * @param random random data instead of zeros
   * @param dims the shape without the batch dimension, needed where the input has dynamic
   *     dimensions (they default to 1)
   * @param dataType the datatype, checked against the model's when given (Triton requires it)
   */
  public record WarmupInput(boolean random, Optional<Shape> dims, Optional<DataType> dataType) {
    public static final WarmupInput ZERO =
        new WarmupInput(false, Optional.empty(), Optional.empty());

    public WarmupInput {
      requireNonNull(dims, "dims");
      requireNonNull(dataType, "dataType");
      if (dims.isPresent() && dims.get().isDynamic()) {
        throw StrataException.invalid(
            "warmup input dims %s: dynamic (expected: concrete dimensions)", dims.get());
      }
    }
  }
}
