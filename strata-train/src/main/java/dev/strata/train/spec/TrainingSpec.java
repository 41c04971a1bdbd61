package dev.strata.train.spec;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.preprocess.InputSpec;
import dev.strata.preprocess.PipelineJson;
import dev.strata.preprocess.PipelineSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Everything needed to train a model, as data: the task, the preprocessing pipeline, the network
 * and the training options. Read from JSON or YAML ({@code .yaml}/{@code .yml}); a newer {@code
 * format_version} is refused with a clear message.
 */
public record TrainingSpec(
    int formatVersion,
    String name,
    Task task,
    PipelineSpec preprocessing,
    ModelSpec model,
    TrainingOptions training) {

  /** The newest format this code reads and the one it writes. */
  public static final int FORMAT_VERSION = 1;

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final ObjectMapper YAML =
      PipelineJson.configure(new ObjectMapper(new YAMLFactory()));

  /** What the model predicts. */
  public enum Task {
    CLASSIFICATION,
    REGRESSION
  }

  /** The layers in order. */
  public record ModelSpec(List<LayerSpec> layers) {
    public ModelSpec {
      layers = List.copyOf(requireNonNull(layers, "model.layers"));
      if (layers.isEmpty()) {
        throw StrataException.invalid("model.layers: empty (expected: at least one layer)");
      }
    }
  }

  public TrainingSpec {
    requireNonNull(name, "name");
    task = task == null ? Task.CLASSIFICATION : task;
    if (preprocessing == null) {
      throw StrataException.invalid("preprocessing: missing (expected: an input and its steps)");
    }
    if (model == null) {
      throw StrataException.invalid("model: missing (expected: model.layers)");
    }
    if (training == null) {
      throw StrataException.invalid("training: missing (expected: epochs, optimizer, ...)");
    }
    if (!NAME.matcher(name).matches()) {
      throw StrataException.invalid(
          "name: '%s' (expected: 1-64 letters, digits, '.', '_' or '-')", name);
    }
    if (task == Task.REGRESSION
        && training.loss() instanceof TrainingOptions.Loss.SoftmaxCrossEntropy) {
      throw StrataException.invalid(
          "training.loss: softmax_cross_entropy for a regression task (expected: mse or l1)");
    }
    if (task == Task.REGRESSION && preprocessing.input() instanceof InputSpec.Image) {
      throw StrataException.invalid("task: regression on images is not supported");
    }
    if (training.loss() == null) {
      training =
          new TrainingOptions(
              training.epochs(),
              training.batchSize(),
              training.seed(),
              task == Task.CLASSIFICATION
                  ? new TrainingOptions.Loss.SoftmaxCrossEntropy(0)
                  : new TrainingOptions.Loss.Mse(),
              training.optimizer(),
              training.schedule(),
              training.earlyStopping());
    }
  }

  /** Reads a spec file: YAML for {@code .yaml}/{@code .yml}, JSON otherwise. */
  public static TrainingSpec read(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw StrataException.notFound("spec %s: no such file", file);
    } catch (IOException e) {
      throw new StrataException(ErrorCode.INVALID_ARGUMENT, "spec " + file + ": " + e, e);
    }
    String lower = file.getFileName().toString().toLowerCase(Locale.ROOT);
    boolean yaml = lower.endsWith(".yaml") || lower.endsWith(".yml");
    return parse(text, yaml, "spec " + file);
  }

  /** Parses spec text. */
  public static TrainingSpec parse(String text, boolean yaml, String what) {
    JsonNode tree;
    try {
      tree = (yaml ? YAML : PipelineJson.mapper()).readTree(text);
    } catch (JsonProcessingException e) {
      throw new StrataException(
          ErrorCode.INVALID_ARGUMENT,
          what + ": not valid " + (yaml ? "YAML" : "JSON") + " (" + e.getOriginalMessage() + ")",
          e);
    }
    if (tree == null || !tree.isObject()) {
      throw StrataException.invalid("%s: empty or not an object", what);
    }
    PipelineJson.checkFormatVersion(tree, FORMAT_VERSION, what);
    JsonNode pre = tree.get("preprocessing");
    if (pre instanceof ObjectNode o && !o.has("format_version")) {
      // the nested pipeline shares the document's version unless it says otherwise
      o.put("format_version", PipelineSpec.FORMAT_VERSION);
    }
    return PipelineJson.convert(tree, TrainingSpec.class, what);
  }

  /**
   * The spec {@code strata train} wrote into a model's provenance metadata, if it has one.
   *
   * @param meta the model's metadata (ONNX {@code metadata_props})
   */
  public static java.util.Optional<TrainingSpec> fromModelMetadata(
      java.util.Map<String, String> meta, String what) {
    String prov = meta.get(dev.strata.preprocess.ModelMetadataKeys.PROVENANCE);
    JsonNode spec = prov == null ? null : PipelineJson.readTree(prov, "provenance").get("spec");
    if (spec == null || !spec.isObject()) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(parse(spec.toString(), false, what + " provenance spec"));
  }

  public String toJson() {
    return PipelineJson.write(this);
  }

  /** This spec with another epoch count. */
  public TrainingSpec withEpochs(int epochs) {
    return new TrainingSpec(
        formatVersion, name, task, preprocessing, model, training.withEpochs(epochs));
  }

  /** A copy with other layers (e.g. a structurally pruned network). */
  public TrainingSpec withLayers(List<LayerSpec> layers) {
    return new TrainingSpec(
        formatVersion, name, task, preprocessing, new ModelSpec(layers), training);
  }

  /** A copy with other training options. */
  public TrainingSpec withTraining(TrainingOptions options) {
    return new TrainingSpec(formatVersion, name, task, preprocessing, model, options);
  }
}
