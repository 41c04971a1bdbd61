package dev.strata.runtime;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.MapEntry;
import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import dev.strata.core.DataType;
import dev.strata.core.ErrorCode;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.modelconfig.Triton;
import dev.strata.runtime.ModelConfig.DynamicBatching;
import dev.strata.runtime.ModelConfig.Instances;
import dev.strata.runtime.ModelConfig.TensorConfig;
import dev.strata.runtime.ModelConfig.VersionPolicy;
import dev.strata.runtime.ModelConfig.WarmupInput;
import dev.strata.runtime.ModelConfig.WarmupSample;
import dev.strata.runtime.backend.OnnxRuntimeBackend;
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
import java.util.Set;
import java.util.TreeSet;

/**
 * Parses Triton's {@code config.pbtxt} (protobuf text format over Triton's {@code
 * model_config.proto}) with protobuf's own {@link TextFormat} into {@link ModelConfig}. Every field
 * Strata does not honour that the file sets is an error naming it: a Triton setting is never
 * silently ignored.
 */
final class TritonConfigReader {
  /** Triton's ONNX Runtime backend names for the session's thread counts. */
  static final String INTRA_OP_THREADS = "intra_op_thread_count";

  static final String INTER_OP_THREADS = "inter_op_thread_count";

  private static final String MODEL_FILE = OnnxRuntimeBackend.INSTANCE.modelFile();

  /**
   * The fields Strata honours, as paths without indices. A message field listed here is walked
   * into; a scalar listed here is converted below (some with a check of the value). Proto3 scalars
   * count as set only when they differ from their default, so a flag whose only supported value is
   * the default (e.g. {@code input.optional}) is simply left out.
   */
  private static final Set<String> SUPPORTED =
      Set.of(
          "name",
          "platform",
          "backend",
          "version_policy",
          "version_policy.latest",
          "version_policy.latest.num_versions",
          "version_policy.all",
          "version_policy.specific",
          "version_policy.specific.versions",
          "max_batch_size",
          "input",
          "input.name",
          "input.data_type",
          "input.dims",
          "output",
          "output.name",
          "output.data_type",
          "output.dims",
          "output.label_filename",
          "dynamic_batching",
          "dynamic_batching.preferred_batch_size",
          "dynamic_batching.max_queue_delay_microseconds",
          "dynamic_batching.default_queue_policy",
          "dynamic_batching.default_queue_policy.default_timeout_microseconds",
          "dynamic_batching.default_queue_policy.max_queue_size",
          // Strata always lets a request's own timeout win, which is what this flag asks for.
          "dynamic_batching.default_queue_policy.allow_timeout_override",
          "instance_group",
          "instance_group.name",
          "instance_group.kind",
          "instance_group.count",
          "default_model_filename",
          "parameters",
          "parameters.value",
          "parameters.value.string_value",
          "model_warmup",
          "model_warmup.name",
          "model_warmup.batch_size",
          "model_warmup.count",
          "model_warmup.inputs",
          "model_warmup.inputs.value",
          "model_warmup.inputs.value.data_type",
          "model_warmup.inputs.value.dims",
          "model_warmup.inputs.value.zero_data",
          "model_warmup.inputs.value.random_data");

  private static final TextFormat.Parser PARSER =
      TextFormat.Parser.newBuilder()
          .setSingularOverwritePolicy(
              TextFormat.Parser.SingularOverwritePolicy.FORBID_SINGULAR_OVERWRITES)
          .build();

  private TritonConfigReader() {}

  static ModelConfig read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new StrataException(
          ErrorCode.INVALID_ARGUMENT, file + ": cannot read (" + e.getMessage() + ")", e);
    }
    return parse(file.toString(), text);
  }

  static ModelConfig parse(String source, String text) {
    Triton.ModelConfig.Builder builder = Triton.ModelConfig.newBuilder();
    try {
      PARSER.merge(text, builder);
    } catch (TextFormat.ParseException e) {
      throw new StrataException(
          ErrorCode.INVALID_ARGUMENT,
          String.format(
              "%s: not valid Triton model configuration text at line %d, column %d (%s)",
              source, e.getLine(), e.getColumn(), withoutPosition(e.getMessage())),
          e);
    }
    try {
      Triton.ModelConfig config = builder.build();
      requireSupported(config, "", "");
      return convert(config);
    } catch (StrataException e) {
      throw new StrataException(e.code(), source + ": " + e.getMessage(), e);
    }
  }

  /**
   * TextFormat's message starts with "line:column: " (reported on its own here) and lists unknown
   * fields on lines of their own; one line without positions.
   */
  private static String withoutPosition(String message) {
    return message
        .replaceFirst("^-?\\d+:-?\\d+: ", "")
        .replaceAll("\\s*\\n-?\\d+:-?\\d+:\\s*", " ");
  }

  private static void requireSupported(Message message, String schemaPath, String path) {
    for (Map.Entry<FieldDescriptor, Object> e : message.getAllFields().entrySet()) {
      FieldDescriptor f = e.getKey();
      String schema = schemaPath.isEmpty() ? f.getName() : schemaPath + "." + f.getName();
      String here = path.isEmpty() ? f.getName() : path + "." + f.getName();
      if (!SUPPORTED.contains(schema)) {
        throw StrataException.invalid("field '%s' is not supported by Strata", here);
      }
      if (f.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      if (f.isMapField()) {
        for (Object entry : (List<?>) e.getValue()) {
          MapEntry<?, ?> m = (MapEntry<?, ?>) entry;
          if (m.getValue() instanceof Message value) {
            requireSupported(value, schema + ".value", here + "['" + m.getKey() + "']");
          }
        }
      } else if (f.isRepeated()) {
        List<?> items = (List<?>) e.getValue();
        for (int i = 0; i < items.size(); i++) {
          requireSupported((Message) items.get(i), schema, here + "[" + i + "]");
        }
      } else {
        requireSupported((Message) e.getValue(), schema, here);
      }
    }
  }

  private static ModelConfig convert(Triton.ModelConfig c) {
    if (!c.getPlatform().isEmpty() && !c.getPlatform().equals("onnxruntime_onnx")) {
      throw StrataException.invalid(
          "platform: '%s' (expected: onnxruntime_onnx; Strata serves ONNX models)",
          c.getPlatform());
    }
    if (!c.getBackend().isEmpty() && !c.getBackend().equals("onnxruntime")) {
      throw StrataException.invalid(
          "backend: '%s' (expected: onnxruntime; Strata serves ONNX models)", c.getBackend());
    }
    if (!c.getDefaultModelFilename().isEmpty() && !c.getDefaultModelFilename().equals(MODEL_FILE)) {
      throw StrataException.invalid(
          "default_model_filename: '%s' (expected: %s, the only file name Strata loads)",
          c.getDefaultModelFilename(), MODEL_FILE);
    }
    return new ModelConfig(
        c.getName().isEmpty() ? Optional.empty() : Optional.of(c.getName()),
        c.getPlatform().isEmpty() && c.getBackend().isEmpty()
            ? Optional.empty()
            : Optional.of(OnnxRuntimeBackend.INSTANCE.name()),
        c.hasMaxBatchSize() ? OptionalInt.of(c.getMaxBatchSize()) : OptionalInt.empty(),
        batching(c),
        instances(c),
        policy(c),
        tensors("input", inputs(c)),
        tensors("output", outputs(c)),
        Optional.empty(),
        warmup(c.getModelWarmupList()),
        parameters(c));
  }

  /** The parameters other than the thread counts, which are {@link Instances}. */
  private static Map<String, String> parameters(Triton.ModelConfig c) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, Triton.ModelParameter> p : c.getParametersMap().entrySet()) {
      if (!p.getKey().equals(INTRA_OP_THREADS) && !p.getKey().equals(INTER_OP_THREADS)) {
        out.put(p.getKey(), p.getValue().getStringValue());
      }
    }
    return out;
  }

  private static DynamicBatching batching(Triton.ModelConfig c) {
    if (!c.hasDynamicBatching()) {
      return DynamicBatching.DEFAULT;
    }
    Triton.ModelDynamicBatching b = c.getDynamicBatching();
    Triton.ModelQueuePolicy q = b.getDefaultQueuePolicy();
    return new DynamicBatching(
        b.getMaxQueueDelayMicroseconds(),
        b.getPreferredBatchSizeList(),
        // As in Triton, a queue policy given without max_queue_size means unbounded (0).
        b.hasDefaultQueuePolicy()
            ? OptionalInt.of(
                unsigned(
                    "dynamic_batching.default_queue_policy.max_queue_size", q.getMaxQueueSize()))
            : OptionalInt.empty(),
        q.getDefaultTimeoutMicroseconds());
  }

  private static Instances instances(Triton.ModelConfig c) {
    OptionalInt count = OptionalInt.empty();
    if (c.getInstanceGroupCount() > 0) {
      int total = 0;
      for (int i = 0; i < c.getInstanceGroupCount(); i++) {
        Triton.ModelInstanceGroup g = c.getInstanceGroup(i);
        if (g.getKind() != Triton.ModelInstanceGroup.Kind.KIND_CPU
            && g.getKind() != Triton.ModelInstanceGroup.Kind.KIND_AUTO) {
          throw StrataException.invalid(
              "instance_group[%d].kind: %s is not supported by Strata (expected: KIND_CPU)",
              i, g.getKind());
        }
        if (g.getCount() < 0) {
          throw StrataException.invalid(
              "instance_group[%d].count: %d (expected: > 0)", i, g.getCount());
        }
        total += g.getCount() == 0 ? 1 : g.getCount(); // Triton's default count is 1
      }
      count = OptionalInt.of(total);
    }
    OptionalInt intra = OptionalInt.empty();
    int inter = 1;
    for (Map.Entry<String, Triton.ModelParameter> p : c.getParametersMap().entrySet()) {
      switch (p.getKey()) {
        case INTRA_OP_THREADS -> intra = OptionalInt.of(integer(p));
        case INTER_OP_THREADS -> inter = Math.max(1, integer(p)); // 0: ONNX Runtime's default
        default -> {} // a model parameter, kept in ModelConfig.parameters
      }
    }
    return new Instances(count, intra, inter);
  }

  private static int integer(Map.Entry<String, Triton.ModelParameter> p) {
    String value = p.getValue().getStringValue().strip();
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw StrataException.invalid(
          "parameters '%s': string_value '%s' (expected: an integer)", p.getKey(), value);
    }
  }

  private static VersionPolicy policy(Triton.ModelConfig c) {
    Triton.ModelVersionPolicy p = c.getVersionPolicy();
    return switch (p.getPolicyChoiceCase()) {
      case LATEST ->
          new VersionPolicy.Latest(
              unsigned("version_policy.latest.num_versions", p.getLatest().getNumVersions()));
      case ALL -> new VersionPolicy.All();
      case SPECIFIC -> new VersionPolicy.Specific(p.getSpecific().getVersionsList());
      case POLICYCHOICE_NOT_SET -> VersionPolicy.Latest.ONE;
    };
  }

  /** One tensor as written: its name, type and dims, and (outputs) labels file. */
  private record RawTensor(
      String name, Triton.DataType type, List<Long> dims, Optional<String> labels) {}

  private static List<RawTensor> inputs(Triton.ModelConfig c) {
    List<RawTensor> out = new ArrayList<>();
    for (Triton.ModelInput i : c.getInputList()) {
      out.add(new RawTensor(i.getName(), i.getDataType(), i.getDimsList(), Optional.empty()));
    }
    return out;
  }

  private static List<RawTensor> outputs(Triton.ModelConfig c) {
    List<RawTensor> out = new ArrayList<>();
    for (Triton.ModelOutput o : c.getOutputList()) {
      Optional<String> labels =
          o.getLabelFilename().isEmpty() ? Optional.empty() : Optional.of(o.getLabelFilename());
      out.add(new RawTensor(o.getName(), o.getDataType(), o.getDimsList(), labels));
    }
    return out;
  }

  private static List<TensorConfig> tensors(String field, List<RawTensor> raw) {
    List<TensorConfig> out = new ArrayList<>(raw.size());
    TreeSet<String> names = new TreeSet<>();
    for (int i = 0; i < raw.size(); i++) {
      RawTensor t = raw.get(i);
      if (t.name().isEmpty()) {
        throw StrataException.invalid("%s[%d].name: missing", field, i);
      }
      if (!names.add(t.name())) {
        throw StrataException.invalid("%s: '%s' appears twice", field, t.name());
      }
      out.add(
          new TensorConfig(
              t.name(), dataType(field, t.name(), t.type()), Shape.of(t.dims()), t.labels()));
    }
    return out;
  }

  /** A uint32 field as an int, refusing what does not fit. */
  private static int unsigned(String field, int raw) {
    long value = Integer.toUnsignedLong(raw);
    if (value > Integer.MAX_VALUE) {
      throw StrataException.invalid("%s: %d (expected: <= %d)", field, value, Integer.MAX_VALUE);
    }
    return (int) value;
  }

  private static DataType dataType(String field, String name, Triton.DataType type) {
    if (type == Triton.DataType.TYPE_INVALID) {
      throw StrataException.invalid("%s '%s': data_type missing", field, name);
    }
    if (type == Triton.DataType.UNRECOGNIZED) {
      throw StrataException.invalid("%s '%s': data_type unknown", field, name);
    }
    return DataType.fromWireName(type.name());
  }

  private static List<WarmupSample> warmup(List<Triton.ModelWarmup> raw) {
    List<WarmupSample> out = new ArrayList<>(raw.size());
    for (int i = 0; i < raw.size(); i++) {
      Triton.ModelWarmup w = raw.get(i);
      String name = w.getName().isEmpty() ? "sample " + i : w.getName();
      Map<String, WarmupInput> inputs = new LinkedHashMap<>();
      for (Map.Entry<String, Triton.ModelWarmup.Input> e : w.getInputsMap().entrySet()) {
        Triton.ModelWarmup.Input in = e.getValue();
        Optional<DataType> type =
            in.getDataType() == Triton.DataType.TYPE_INVALID
                ? Optional.empty()
                : Optional.of(
                    dataType("model_warmup '" + name + "' input", e.getKey(), in.getDataType()));
        inputs.put(
            e.getKey(),
            new WarmupInput(
                in.getInputDataTypeCase() == Triton.ModelWarmup.Input.InputDataTypeCase.RANDOM_DATA,
                in.getDimsCount() == 0 ? Optional.empty() : Optional.of(Shape.of(in.getDimsList())),
                type));
      }
      out.add(
          new WarmupSample(
              name,
              unsigned("model_warmup '" + name + "' batch_size", w.getBatchSize()),
              w.getCount() == 0 ? 1 : unsigned("model_warmup '" + name + "' count", w.getCount()),
              inputs));
    }
    return out;
  }
}
