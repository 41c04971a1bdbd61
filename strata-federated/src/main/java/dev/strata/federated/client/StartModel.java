package dev.strata.federated.client;

import static java.util.Objects.requireNonNull;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.strata.core.StrataException;
import dev.strata.federated.job.OnnxParameters;
import dev.strata.onnx.OnnxModels;
import dev.strata.preprocess.FittedPipeline;
import dev.strata.preprocess.ModelLabels;
import dev.strata.train.spec.LayerSpec;
import dev.strata.train.spec.TrainingSpec;
import java.util.List;
import java.util.Map;

/**
 * What a node needs of the model a job starts from: the training spec and fitted preprocessing
 * {@code strata train} wrote into its metadata, its classes, and the layout and values of its
 * parameter vector.
 */
public record StartModel(
    TrainingSpec spec,
    FittedPipeline pipeline,
    List<String> classes,
    List<OnnxParameters.Entry> layout,
    float[] parameters) {
  public StartModel {
    requireNonNull(spec, "spec");
    requireNonNull(pipeline, "pipeline");
    classes = List.copyOf(classes);
    layout = List.copyOf(layout);
  }

  /** Reads a model exported by {@code strata train}. */
  public static StartModel of(ModelProto model, String what) {
    Map<String, String> meta = OnnxModels.metadata(model);
    TrainingSpec spec =
        TrainingSpec.fromModelMetadata(meta, what)
            .orElseThrow(
                () ->
                    StrataException.invalid(
                        "%s has no training spec in its provenance (expected: a model exported by strata train)",
                        what));
    if (spec.model().layers().stream().anyMatch(l -> l instanceof LayerSpec.Residual)) {
      throw StrataException.invalid(
          "%s has residual blocks, whose parameters federated training does not map yet (expected: a sequential network)",
          what);
    }
    FittedPipeline pipeline =
        FittedPipeline.fromModelMetadata(meta)
            .orElseThrow(() -> StrataException.invalid("%s has no Strata preprocessing", what));
    return new StartModel(
        spec,
        pipeline,
        ModelLabels.read(what, meta),
        OnnxParameters.layout(model),
        OnnxParameters.read(model));
  }
}
