package dev.strata.runtime;

import dev.strata.core.DataType;
import dev.strata.core.InferenceRequest;
import dev.strata.core.OutputRequest;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import dev.strata.core.TensorSpec;
import dev.strata.preprocess.FittedPipeline;
import dev.strata.preprocess.ImageCodec;
import dev.strata.runtime.ModelConfig.TensorConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * What a model version accepts and returns, reconciled from its {@code config.json} and its ONNX
 * file, and the checks every request passes before it is queued.
 *
 * <p>Shapes in {@link #inputs()} and {@link #outputs()} leave out the batch dimension when {@link
 * #maxBatchSize()} {@code > 0}, as the dims of Triton's config do; the model metadata puts it back
 * first, as -1, as Triton reports it.
 */
final class ModelSignature {
  private final String model;
  private final int maxBatchSize;
  private final List<TensorSpec> inputs;
  private final List<TensorSpec> outputs;
  private final List<List<String>> labels;
  private final Map<String, Integer> inputIndex = new HashMap<>();
  private final Map<String, Integer> outputIndex = new HashMap<>();
  private final Set<String> outputNames;
  private final boolean dynamicInnerDims;
  private final Optional<FittedPipeline> pipeline;
  private final long maxImagePixels;
  private final SharedDims sharedDims;

  ModelSignature(
      String model,
      int maxBatchSize,
      List<TensorSpec> inputs,
      List<TensorSpec> outputs,
      List<List<String>> labels,
      Optional<FittedPipeline> pipeline) {
    this(
        model,
        maxBatchSize,
        inputs,
        outputs,
        labels,
        pipeline,
        ImageCodec.DEFAULT_MAX_PIXELS,
        Map.of());
  }

  private ModelSignature(
      String model,
      int maxBatchSize,
      List<TensorSpec> inputs,
      List<TensorSpec> outputs,
      List<List<String>> labels,
      Optional<FittedPipeline> pipeline,
      long maxImagePixels,
      Map<String, List<String>> dimNames) {
    this.model = model;
    this.pipeline = pipeline;
    this.maxImagePixels = maxImagePixels;
    this.sharedDims = SharedDims.of(inputs, dimNames);
    this.maxBatchSize = maxBatchSize;
    this.inputs = List.copyOf(inputs);
    this.outputs = List.copyOf(outputs);
    this.labels = List.copyOf(labels);
    boolean dynamic = false;
    for (int i = 0; i < inputs.size(); i++) {
      inputIndex.put(inputs.get(i).name(), i);
      dynamic |= inputs.get(i).shape().isDynamic();
    }
    for (int i = 0; i < outputs.size(); i++) {
      outputIndex.put(outputs.get(i).name(), i);
    }
    this.outputNames = Set.copyOf(outputs.stream().map(TensorSpec::name).toList());
    this.dynamicInnerDims = dynamic;
  }

  /**
   * Reconciles a config with the ONNX file's inputs and outputs.
   *
   * @param labelsOf reads a labels file of the model directory
   * @param metadata the ONNX file's {@code metadata_props}: a fitted preprocessing pipeline there
   *     turns raw requests (image bytes, table rows) into the model's input, and its class names
   *     label the first output when the config names no labels file
   * @throws StrataException INVALID_ARGUMENT saying what does not fit
   */
  static ModelSignature resolve(
      String model,
      ModelConfig config,
      List<TensorSpec> onnxInputs,
      List<TensorSpec> onnxOutputs,
      int defaultMaxBatchSize,
      Function<String, List<String>> labelsOf,
      Map<String, String> metadata) {
    return resolve(
        model,
        config,
        onnxInputs,
        onnxOutputs,
        defaultMaxBatchSize,
        labelsOf,
        metadata,
        Map.of(),
        ImageCodec.DEFAULT_MAX_PIXELS);
  }

  /**
   * {@link #resolve(String, ModelConfig, List, List, int, Function, Map)} with the ONNX inputs'
   * symbolic dimension names (by input name, one per axis, "" for none), whose shared sizes every
   * request is checked for, and the most pixels a raw image of a request may have.
   */
  static ModelSignature resolve(
      String model,
      ModelConfig config,
      List<TensorSpec> onnxInputs,
      List<TensorSpec> onnxOutputs,
      int defaultMaxBatchSize,
      Function<String, List<String>> labelsOf,
      Map<String, String> metadata,
      Map<String, List<String>> dimNames,
      long maxImagePixels) {
    for (TensorSpec s : onnxInputs) {
      checkSupported("input", s);
    }
    for (TensorSpec s : onnxOutputs) {
      checkSupported("output", s);
    }
    int maxBatch;
    if (config.maxBatchSize().isPresent()) {
      maxBatch = config.maxBatchSize().getAsInt();
      if (maxBatch > 0) {
        requireBatchDim(maxBatch, "input", onnxInputs);
        requireBatchDim(maxBatch, "output", onnxOutputs);
      }
    } else {
      maxBatch =
          !onnxInputs.isEmpty() && hasBatchDim(onnxInputs) && hasBatchDim(onnxOutputs)
              ? defaultMaxBatchSize
              : 0;
    }
    List<TensorSpec> modelInputs = strip(onnxInputs, maxBatch > 0);
    List<TensorSpec> modelOutputs = strip(onnxOutputs, maxBatch > 0);
    List<TensorSpec> inputs =
        config.inputs().isEmpty() ? modelInputs : match("input", config.inputs(), modelInputs);
    if (!config.inputs().isEmpty() && inputs.size() != modelInputs.size()) {
      List<String> missing = new ArrayList<>();
      for (TensorSpec s : modelInputs) {
        if (inputs.stream().noneMatch(i -> i.name().equals(s.name()))) {
          missing.add(s.name());
        }
      }
      throw StrataException.invalid(
          "config inputs leave out %s, which the ONNX model needs", missing);
    }
    List<TensorSpec> outputs =
        config.outputs().isEmpty() ? modelOutputs : match("output", config.outputs(), modelOutputs);
    List<List<String>> labels = new ArrayList<>();
    for (TensorSpec out : outputs) {
      String file = config.labels().orElse(null);
      for (TensorConfig c : config.outputs()) {
        if (c.name().equals(out.name()) && c.labels().isPresent()) {
          file = c.labels().get();
        }
      }
      labels.add(file == null ? List.of() : labelsOf.apply(file));
    }
    List<String> classNames = dev.strata.preprocess.ModelLabels.read(model, metadata);
    if (!classNames.isEmpty() && !outputs.isEmpty() && labels.getFirst().isEmpty()) {
      labels.set(0, classNames);
    }
    Optional<FittedPipeline> pipeline = FittedPipeline.fromModelMetadata(metadata);
    if (pipeline.isPresent()
        && (inputs.size() != 1 || inputs.getFirst().datatype() != DataType.FP32)) {
      throw StrataException.invalid(
          "model '%s' has a preprocessing pipeline but %d inputs %s (expected: one FP32 input)",
          model, inputs.size(), inputs.stream().map(TensorSpec::name).toList());
    }
    return new ModelSignature(
        model, maxBatch, inputs, outputs, labels, pipeline, maxImagePixels, dimNames);
  }

  private static void checkSupported(String kind, TensorSpec s) {
    if (!OrtTensors.supports(s.datatype())) {
      throw StrataException.invalid(
          "%s '%s' has datatype %s, which ONNX Runtime's Java API cannot pass (supported: %s)",
          kind, s.name(), s.datatype(), OrtTensors.SUPPORTED);
    }
  }

  private static boolean hasBatchDim(List<TensorSpec> specs) {
    for (TensorSpec s : specs) {
      if (s.shape().rank() == 0 || s.shape().dim(0) != -1) {
        return false;
      }
    }
    return true;
  }

  private static void requireBatchDim(int maxBatch, String kind, List<TensorSpec> specs) {
    for (TensorSpec s : specs) {
      if (s.shape().rank() == 0 || s.shape().dim(0) != -1) {
        throw StrataException.invalid(
            "max_batch_size %d needs a dynamic first (batch) dimension, but %s '%s' has shape %s"
                + " (use max_batch_size 0 for a model that does not batch)",
            maxBatch, kind, s.name(), s.shape());
      }
    }
  }

  private static List<TensorSpec> strip(List<TensorSpec> specs, boolean batching) {
    if (!batching) {
      return specs;
    }
    List<TensorSpec> out = new ArrayList<>(specs.size());
    for (TensorSpec s : specs) {
      out.add(new TensorSpec(s.name(), s.datatype(), s.shape().dropFirst()));
    }
    return out;
  }

  /** The config's tensors, each checked against the model's tensor of the same name. */
  private static List<TensorSpec> match(
      String kind, List<TensorConfig> configured, List<TensorSpec> model) {
    List<TensorSpec> out = new ArrayList<>(configured.size());
    for (TensorConfig c : configured) {
      TensorSpec m =
          model.stream()
              .filter(s -> s.name().equals(c.name()))
              .findFirst()
              .orElseThrow(
                  () ->
                      StrataException.invalid(
                          "config %s '%s' is not an %s of the ONNX model (it has: %s)",
                          kind, c.name(), kind, model.stream().map(TensorSpec::name).toList()));
      if (c.dataType() != m.datatype()) {
        throw StrataException.invalid(
            "config %s '%s': data_type %s, but the ONNX model says %s",
            kind, c.name(), c.dataType(), m.datatype());
      }
      if (!fits(c.dims(), m.shape())) {
        throw StrataException.invalid(
            "config %s '%s': dims %s do not fit the ONNX model's %s"
                + " (same rank; a dimension may fix a dynamic one, -1 only where the model has -1)",
            kind, c.name(), c.dims(), m.shape());
      }
      out.add(new TensorSpec(c.name(), c.dataType(), c.dims()));
    }
    return out;
  }

  private static boolean fits(Shape configured, Shape model) {
    if (configured.rank() != model.rank()) {
      return false;
    }
    for (int i = 0; i < model.rank(); i++) {
      if (model.dim(i) != -1 && configured.dim(i) != model.dim(i)) {
        return false;
      }
    }
    return true;
  }

  // ---- request checks -------------------------------------------------------------------------

  /**
   * Checks a request against this signature and fills the pending request's inputs (in model
   * order), batch size and output selection.
   *
   * @throws StrataException INVALID_ARGUMENT naming the input or output and what was expected
   */
  void validate(Pending p) {
    InferenceRequest request = p.request;
    List<Tensor> given = preprocess(request.inputs());
    Tensor[] ordered = new Tensor[inputs.size()];
    long batch = -1;
    String batchInput = null;
    for (int g = 0; g < given.size(); g++) {
      Tensor t = given.get(g);
      Integer idx = inputIndex.get(t.name());
      if (idx == null) {
        throw StrataException.invalid(
            "input '%s' is not an input of model '%s' (expected one of: %s)",
            t.name(), model, inputIndex.keySet());
      }
      if (ordered[idx] != null) {
        throw StrataException.invalid("input '%s' is given twice", t.name());
      }
      TensorSpec spec = inputs.get(idx);
      if (t.datatype() != spec.datatype()) {
        throw StrataException.invalid(
            "input '%s': datatype %s (expected: %s)", t.name(), t.datatype(), spec.datatype());
      }
      if (maxBatchSize > 0) {
        long b = checkBatched(t, spec);
        if (batch >= 0 && b != batch) {
          throw StrataException.invalid(
              "inputs disagree on the batch size: '%s' has %d, '%s' has %d",
              batchInput, batch, t.name(), b);
        }
        batch = b;
        batchInput = t.name();
      } else if (!spec.shape().accepts(t.shape())) {
        throw StrataException.invalid(
            "input '%s': shape %s (expected: %s, -1 meaning any size)",
            t.name(), t.shape(), spec.shape());
      }
      if (spec.datatype() == DataType.BYTES) {
        OrtTensors.checkUtf8(t);
      }
      ordered[idx] = t;
    }
    for (int i = 0; i < ordered.length; i++) {
      if (ordered[i] == null) {
        throw StrataException.invalid(
            "input '%s' is missing (model '%s' needs: %s)",
            inputs.get(i).name(), model, inputs.stream().map(TensorSpec::name).toList());
      }
    }
    sharedDims.check(ordered);
    p.inputs = ordered;
    p.rows = maxBatchSize > 0 ? (int) batch : 1;
    selectOutputs(p, request.outputs());
  }

  private long checkBatched(Tensor t, TensorSpec spec) {
    Shape s = t.shape();
    Shape expected = spec.shape();
    if (s.rank() != expected.rank() + 1) {
      throw StrataException.invalid(
          "input '%s': shape %s (expected: the batch size then %s, rank %d)",
          t.name(), s, expected, expected.rank() + 1);
    }
    long b = s.dim(0);
    if (b < 1) {
      throw StrataException.invalid("input '%s': batch size %d (expected: > 0)", t.name(), b);
    }
    if (b > maxBatchSize) {
      throw StrataException.invalid(
          "input '%s': batch size %d is over the model's max_batch_size %d",
          t.name(), b, maxBatchSize);
    }
    for (int i = 0; i < expected.rank(); i++) {
      long d = expected.dim(i);
      if (d >= 0 && d != s.dim(i + 1)) {
        throw StrataException.invalid(
            "input '%s': shape %s (expected: the batch size then %s, -1 meaning any size)",
            t.name(), s, expected);
      }
    }
    return b;
  }

  private void selectOutputs(Pending p, List<OutputRequest> requested) {
    if (requested.isEmpty()) {
      p.outputs = null;
      p.classification = null;
      return;
    }
    int[] idx = new int[requested.size()];
    int[] topK = null;
    for (int j = 0; j < idx.length; j++) {
      OutputRequest o = requested.get(j);
      Integer i = outputIndex.get(o.name());
      if (i == null) {
        throw StrataException.invalid(
            "output '%s' is not an output of model '%s' (expected one of: %s)",
            o.name(), model, outputIndex.keySet());
      }
      for (int k = 0; k < j; k++) {
        if (idx[k] == i) {
          throw StrataException.invalid("output '%s' is requested twice", o.name());
        }
      }
      idx[j] = i;
      if (o.classification() > 0) {
        if (outputs.get(i).datatype() == DataType.BYTES) {
          throw StrataException.invalid(
              "output '%s': classification needs a numeric output (it is BYTES)", o.name());
        }
        if (topK == null) {
          topK = new int[idx.length];
        }
        topK[j] = o.classification();
      }
    }
    p.outputs = idx;
    p.classification = topK;
  }

  /** Whether two validated requests can share a batch: equal shapes after the batch dimension. */
  boolean sameShape(Pending a, Pending b) {
    if (!dynamicInnerDims) {
      return true;
    }
    for (int i = 0; i < a.inputs.length; i++) {
      Shape x = a.inputs[i].shape();
      Shape y = b.inputs[i].shape();
      for (int d = maxBatchSize > 0 ? 1 : 0; d < x.rank(); d++) {
        if (x.dim(d) != y.dim(d)) {
          return false;
        }
      }
    }
    return true;
  }

  String model() {
    return model;
  }

  int maxBatchSize() {
    return maxBatchSize;
  }

  boolean batching() {
    return maxBatchSize > 0;
  }

  List<TensorSpec> inputs() {
    return inputs;
  }

  List<TensorSpec> outputs() {
    return outputs;
  }

  /**
   * Raw inputs through the model's fitted pipeline. A request that already holds the model's one
   * input as FP32 passes as it is; anything else (image bytes, table rows, one tensor per column)
   * goes through the pipeline, which names what it cannot read.
   */
  private List<Tensor> preprocess(List<Tensor> given) {
    if (pipeline.isEmpty()) {
      return given;
    }
    TensorSpec input = inputs.getFirst();
    if (given.size() == 1
        && given.getFirst().name().equals(input.name())
        && given.getFirst().datatype() == input.datatype()) {
      return given;
    }
    return List.of(pipeline.get().apply(given, maxImagePixels).withName(input.name()));
  }

  /** What raw requests the model takes: "image", "rows", or empty without a pipeline. */
  Optional<String> rawInput() {
    return pipeline.map(p -> p.isImage() ? "image" : "rows");
  }

  /** The labels of output {@code i}, empty when it has none. */
  List<String> labels(int i) {
    return labels.get(i);
  }

  /** The names of every served output. */
  Set<String> outputNames() {
    return outputNames;
  }
}
