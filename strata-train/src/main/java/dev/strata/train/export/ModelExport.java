package dev.strata.train.export;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.core.StrataVersion;
import dev.strata.preprocess.ModelMetadataKeys;
import dev.strata.preprocess.PipelineJson;
import dev.strata.train.data.Features;
import dev.strata.train.training.TrainedModel;
import java.nio.FloatBuffer;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Exports a trained model to ONNX with Strata's metadata, and verifies the export: ONNX Runtime's
 * outputs on sample inputs must equal DJL's within {@link #TOLERANCE}, or the export fails with the
 * difference.
 */
public final class ModelExport {
  /** The largest absolute difference allowed between ONNX Runtime and DJL outputs. */
  public static final double TOLERANCE = 1e-4;

  private ModelExport() {}

  /**
   * Exports and verifies on up to {@code sampleCount} samples of {@code sample}.
   *
   * @param metricsJson the evaluation metrics to embed, if any
   */
  public static ModelProto export(
      TrainedModel model,
      Features sample,
      int sampleCount,
      Optional<String> metricsJson,
      Clock clock) {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put(ModelMetadataKeys.FORMAT_VERSION, Integer.toString(ModelMetadataKeys.CURRENT_FORMAT));
    meta.put(
        ModelMetadataKeys.PREPROCESS, model.pipeline().withModelInput(OnnxExporter.INPUT).toJson());
    meta.put(ModelMetadataKeys.LABELS, PipelineJson.write(model.classes()));
    meta.put(ModelMetadataKeys.TASK, model.spec().task().name().toLowerCase(Locale.ROOT));
    meta.put(ModelMetadataKeys.PROVENANCE, provenance(model, clock));
    metricsJson.ifPresent(m -> meta.put(ModelMetadataKeys.METRICS, m));
    ModelProto proto =
        OnnxExporter.export(model.spec(), model.block(), model.pipeline().featureShape(), meta);
    verify(proto, model, sample, sampleCount);
    return proto;
  }

  private static String provenance(TrainedModel model, Clock clock) {
    ObjectNode p = PipelineJson.mapper().createObjectNode();
    p.put("strata_version", StrataVersion.get());
    p.put("dataset_digest", model.datasetDigest());
    p.put("epochs_trained", model.history().size());
    p.put("parameter_count", model.parameterCount());
    p.put("exported_at", clock.instant().toString());
    p.set("spec", PipelineJson.mapper().valueToTree(model.spec()));
    return p.toString();
  }

  /**
   * Runs the exported graph in ONNX Runtime and compares with DJL.
   *
   * @throws StrataException INTERNAL with the largest difference when they disagree
   */
  public static double verify(ModelProto proto, TrainedModel model, Features sample, int count) {
    int n = Math.min(count, sample.count());
    if (n == 0) {
      throw StrataException.invalid("export: no sample data to verify the export on");
    }
    int per = sample.sampleSize();
    float[] x = new float[n * per];
    System.arraycopy(sample.data(), 0, x, 0, x.length);
    float[][] expected = model.predict(x, n);
    long[] shape = new long[sample.sampleShape().length + 1];
    shape[0] = n;
    System.arraycopy(sample.sampleShape(), 0, shape, 1, sample.sampleShape().length);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    float[][] actual;
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setIntraOpNumThreads(1);
      try (OrtSession session = env.createSession(proto.toByteArray(), opts);
          OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
          OrtSession.Result r = session.run(Map.of(OnnxExporter.INPUT, in))) {
        actual = (float[][]) r.get(0).getValue();
      }
    } catch (OrtException e) {
      throw new StrataException(
          ErrorCode.INTERNAL, "export: ONNX Runtime cannot run the exported model: " + e, e);
    }
    double max = 0;
    int at = -1;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < expected[i].length; j++) {
        double d = Math.abs(expected[i][j] - actual[i][j]);
        if (!(d <= max)) {
          max = d;
          at = i * expected[i].length + j;
        }
      }
    }
    if (!(max <= TOLERANCE)) {
      int w = expected[0].length;
      throw new StrataException(
          ErrorCode.INTERNAL,
          String.format(
              Locale.ROOT,
              "export: ONNX Runtime and DJL disagree: max |diff| %.3g at sample %d output %d"
                  + " (DJL %.6f, ONNX Runtime %.6f; expected: <= %.0e)",
              max,
              at / w,
              at % w,
              expected[at / w][at % w],
              actual[at / w][at % w],
              TOLERANCE));
    }
    return max;
  }
}
