package dev.strata.train.eval;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.onnx.OnnxModels;
import dev.strata.preprocess.FittedPipeline;
import dev.strata.preprocess.ModelLabels;
import dev.strata.preprocess.ModelMetadataKeys;
import dev.strata.preprocess.PipelineJson;
import dev.strata.train.data.DataSources;
import dev.strata.train.data.Dataset;
import dev.strata.train.data.Features;
import dev.strata.train.data.PreparedData;
import dev.strata.train.spec.TrainingSpec;
import dev.strata.train.training.EpochStats;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Evaluates an exported ONNX model in ONNX Runtime on a data set, preprocessing the raw data with
 * the fitted pipeline stored in the model — exactly what serving does.
 */
public final class OnnxModelEvaluator {
  private OnnxModelEvaluator() {}

  public static EvaluationReport evaluate(Path modelFile, Path data, int threads)
      throws IOException {
    ModelProto proto = OnnxModels.read(modelFile);
    Map<String, String> meta = OnnxModels.metadata(proto);
    FittedPipeline pipeline =
        FittedPipeline.fromModelMetadata(meta)
            .orElseThrow(
                () ->
                    StrataException.invalid(
                        "%s: no fitted preprocessing in its metadata ('%s'); was it exported by"
                            + " strata train?",
                        modelFile, FittedPipeline.METADATA_KEY));
    TrainingSpec.Task task =
        TrainingSpec.Task.valueOf(
            meta.getOrDefault(ModelMetadataKeys.TASK, "classification").toUpperCase(Locale.ROOT));
    List<String> classes = ModelLabels.read(modelFile.toString(), meta);
    DataSources.Loaded loaded = DataSources.load(data, pipeline.input(), task);
    Dataset set = loaded.test().orElse(loaded.train());
    String what = loaded.test().isPresent() ? "test set of " + data : String.valueOf(data);
    if (task == TrainingSpec.Task.CLASSIFICATION) {
      set = alignTo(set, classes);
    }
    Features f = PreparedData.features(pipeline, set);
    float[][] out = run(proto, pipeline.modelInput(), f, threads);
    String name =
        provenance(meta)
            .map(p -> p.path("spec").path("name").asText(""))
            .filter(n -> !n.isEmpty())
            .orElse(proto.getGraph().getName());
    long params = provenance(meta).map(p -> p.path("parameter_count").asLong()).orElse(0L);
    List<EpochStats> history = history(meta);
    // the training run's seed, so the bootstrap interval matches the one computed at training
    long seed =
        provenance(meta)
            .map(p -> p.path("spec").path("training").path("seed").asLong(1))
            .orElse(1L);
    if (task == TrainingSpec.Task.CLASSIFICATION) {
      return Evaluator.classification(
          name, what, params, classes, f.labels(), out, Optional.empty(), history, seed);
    }
    float[] pred = new float[out.length];
    for (int i = 0; i < out.length; i++) {
      pred[i] = out[i][0];
    }
    return Evaluator.regression(
        name, what, params, f.targets(), pred, Optional.empty(), history, seed);
  }

  private static Dataset alignTo(Dataset set, List<String> classes) {
    if (classes.isEmpty() || set.classes().equals(classes)) {
      return set;
    }
    int[] mapped = new int[set.size()];
    for (int i = 0; i < mapped.length; i++) {
      String c = set.classes().get(set.labels()[i]);
      mapped[i] = classes.indexOf(c);
      if (mapped[i] < 0) {
        throw StrataException.invalid(
            "%s: class '%s' of sample %d is not one of the model's classes %s",
            set.source(), c, i, classes);
      }
    }
    return switch (set) {
      case Dataset.Images im -> new Dataset.Images(im.source(), im.images(), mapped, classes);
      case Dataset.Rows r -> new Dataset.Rows(r.source(), r.rows(), mapped, r.targets(), classes);
    };
  }

  /** Runs the model on all samples in batches of 256. */
  static float[][] run(ModelProto proto, String input, Features f, int threads) {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    int n = f.count();
    int per = f.sampleSize();
    float[][] out = new float[n][];
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setIntraOpNumThreads(threads);
      try (OrtSession session = env.createSession(proto.toByteArray(), opts)) {
        for (int from = 0; from < n; from += 256) {
          int b = Math.min(256, n - from);
          long[] shape = new long[f.sampleShape().length + 1];
          shape[0] = b;
          System.arraycopy(f.sampleShape(), 0, shape, 1, f.sampleShape().length);
          try (OnnxTensor x =
                  OnnxTensor.createTensor(
                      env, FloatBuffer.wrap(f.data(), from * per, b * per), shape);
              OrtSession.Result r = session.run(Map.of(input, x))) {
            float[][] y = (float[][]) r.get(0).getValue();
            System.arraycopy(y, 0, out, from, b);
          }
        }
      }
    } catch (OrtException e) {
      throw new StrataException(ErrorCode.INTERNAL, "ONNX Runtime failed: " + e.getMessage(), e);
    }
    return out;
  }

  private static Optional<JsonNode> provenance(Map<String, String> meta) {
    String p = meta.get(ModelMetadataKeys.PROVENANCE);
    return p == null ? Optional.empty() : Optional.of(PipelineJson.readTree(p, "provenance"));
  }

  private static List<EpochStats> history(Map<String, String> meta) {
    String m = meta.get(ModelMetadataKeys.METRICS);
    if (m == null) {
      return List.of();
    }
    JsonNode h = PipelineJson.readTree(m, "metrics").path("history");
    List<EpochStats> out = new ArrayList<>();
    for (JsonNode e : h) {
      out.add(
          new EpochStats(
              e.path("epoch").asInt(),
              num(e, "train_loss"),
              num(e, "train_accuracy"),
              num(e, "validation_loss"),
              num(e, "validation_accuracy"),
              num(e, "learning_rate"),
              num(e, "seconds"),
              num(e, "samples_per_second")));
    }
    return out;
  }

  private static double num(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || !v.isNumber() ? Double.NaN : v.asDouble();
  }
}
