package dev.strata.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.core.DataType;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.edge.CollaborativeInferenceService;
import dev.strata.edge.testing.TestModels;
import dev.strata.onnx.ExampleModels;
import dev.strata.onnx.OnnxGraphBuilder;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The small models these tests deploy, the requests they send, and how they read the answers: the
 * edge's {@link TestModels} at four features and three classes, plus models that fail.
 */
final class Models {
  static final int FEATURES = 4;
  static final int CLASSES = 3;

  /** What every answer of a deployed model carries: {@code edge}, {@code cloud}, ... */
  static final String SERVED_BY = CollaborativeInferenceService.SERVED_BY;

  private Models() {}

  /** An MLP {@code input[N, 4] -> probabilities[N, 3]}; each seed gives other weights. */
  static byte[] mlp(long seed) {
    return TestModels.mlp(FEATURES, CLASSES, seed);
  }

  /**
   * Bytes that the cloud stores and signs like any artifact but no runtime can load: a valid model
   * cut in half (a corrupt upload, a broken export).
   */
  static byte[] unloadable() {
    byte[] whole = mlp(99);
    return Arrays.copyOf(whole, whole.length / 2);
  }

  /**
   * A model with the right signature ({@code input[N, 4] -> probabilities[N, 3]}) that loads but
   * fails every request of one row at run time: it reshapes the 4 features into rows of 3, which
   * ONNX Runtime refuses when N * 4 is not a multiple of 3 (a bad export that shape inference
   * cannot catch with a symbolic batch size).
   */
  static byte[] failsAtRunTime() {
    OnnxGraphBuilder g = OnnxGraphBuilder.create("bad_reshape");
    String x = g.input(ExampleModels.INPUT, DataType.FP32, Shape.of(-1, FEATURES));
    String shape = g.initializer("rows_of_three", Shape.of(2), new long[] {-1, CLASSES});
    String rows = g.node("Reshape", x, shape);
    g.node("Softmax", List.of(rows), Map.of("axis", 1), ExampleModels.OUTPUT);
    g.output(ExampleModels.OUTPUT, DataType.FP32, Shape.of(-1, CLASSES));
    return g.build().toByteArray();
  }

  /** One row of four features drawn from {@code seed}. */
  static InferenceRequest request(String model, long seed) {
    return TestModels.request(model, FEATURES, seed);
  }

  /** The answer's probabilities, checked to be one row of three. */
  static float[] probabilities(InferenceResponse r) {
    Tensor t =
        r.output(ExampleModels.OUTPUT)
            .orElseThrow(() -> new AssertionError("no " + ExampleModels.OUTPUT + " in " + r));
    assertThat(t.shape()).isEqualTo(Shape.of(1, CLASSES));
    return t.floats();
  }

  /** Who answered: {@code edge}, {@code cloud} or {@code edge-fallback}. */
  static String servedBy(InferenceResponse r) {
    return TestModels.servedBy(r);
  }

  /**
   * Registers the ONNX file {@code onnx} as a new version of {@code model} (created if needed) with
   * one variant {@code variant} carrying the file's signature.
   */
  static dev.strata.api.Variant registerOnnx(
      dev.strata.api.CloudApiClient api, String model, java.nio.file.Path onnx, String variant)
      throws java.io.IOException {
    if (api.findModel(model).isEmpty()) {
      api.createModel(
          new dev.strata.api.CreateModelRequest(model, "reference classifier", Map.of()));
    }
    long version = api.createVersion(model, dev.strata.api.CreateVersionRequest.EMPTY).version();
    ai.onnx.proto.OnnxMl.ModelProto m = dev.strata.onnx.OnnxModels.readDescription(onnx);
    return api.addVariant(
        model,
        version,
        new dev.strata.api.CreateVariantRequest(
            variant,
            "onnx",
            api.uploadArtifact(onnx).sha256(),
            new dev.strata.api.ModelSignature(
                dev.strata.onnx.OnnxModels.inputs(m).stream()
                    .map(dev.strata.api.TensorSignature::of)
                    .toList(),
                dev.strata.onnx.OnnxModels.outputs(m).stream()
                    .map(dev.strata.api.TensorSignature::of)
                    .toList()),
            List.of(),
            Map.of(),
            Map.of(),
            Map.of()));
  }
}
