package dev.strata.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.strata.core.DataType;
import dev.strata.core.InferenceResponse;
import dev.strata.core.ModelMetadata;
import dev.strata.core.RepositoryEntry;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.core.TensorSpec;
import dev.strata.onnx.ExampleModels;
import dev.strata.onnx.OnnxGraphBuilder;
import dev.strata.onnx.OnnxModels;
import dev.strata.preprocess.FittedPipeline;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A derived max_batch_size is proven at load time: models whose first dimension is not a batch are
 * served with max_batch_size 0 and say why; models that batch keep batching; a configured value is
 * taken as it is.
 */
class BatchProbeTest {
  private static final List<TensorSpec> Y =
      List.of(new TensorSpec("y", DataType.FP32, Shape.of(-1)));

  @TempDir Path dir;

  /** {@code x:[n] -> Softmax(axis=0)}: the probabilities of a "batch" depend on each other. */
  static OnnxGraphBuilder softmaxOverVector() {
    OnnxGraphBuilder g = OnnxGraphBuilder.create("softmax_vector");
    String x = g.input("x", DataType.FP32, Shape.of(-1));
    g.output(g.node("Softmax", List.of(x), Map.of("axis", 0L), "y"), DataType.FP32, Shape.of(-1));
    return g;
  }

  /** {@code Concat(x, x, axis=0)}: twice as many rows as the "batch". */
  static OnnxGraphBuilder concatTwice() {
    OnnxGraphBuilder g = OnnxGraphBuilder.create("concat");
    String x = g.input("x", DataType.FP32, Shape.of(-1, 2));
    g.output(
        g.node("Concat", List.of(x, x), Map.of("axis", 0L), "y"), DataType.FP32, Shape.of(-1, 2));
    return g;
  }

  private static Tensor rows(Shape shape, float... values) {
    return Tensor.ofFloats("y", shape, values);
  }

  @Test
  void outputsThatFollowTheBatchAndAgreeBatch() {
    Tensor a = rows(Shape.of(1, 2), 1f, 2f);
    Tensor b = rows(Shape.of(1, 2), 3f, 4f);
    Tensor ab = rows(Shape.of(2, 2), 1f, 2.00001f, 3f, 4f);
    assertThat(BatchProbe.decide(Y, List.of(a), List.of(b), List.of(ab))).isEmpty();
  }

  @Test
  void aFirstDimensionThatDoesNotFollowTheBatchIsNamed() {
    Tensor a = rows(Shape.of(2), 1f, 1f);
    Tensor ab = rows(Shape.of(4), 1f, 1f, 1f, 1f);
    assertThat(BatchProbe.decide(Y, List.of(a), List.of(a), List.of(ab)))
        .hasValue("output 'y' first dimension 2 for a batch of 1 (expected 1)");
    Tensor one = rows(Shape.of(1), 1f);
    assertThat(BatchProbe.decide(Y, List.of(one), List.of(one), List.of(ab)))
        .hasValue("output 'y' first dimension 4 for a batch of 2 (expected 2)");
  }

  @Test
  void batchedValuesBeyondTheToleranceAreNamed() {
    Tensor a = rows(Shape.of(1), 1f);
    Tensor b = rows(Shape.of(1), 1f);
    Tensor ab = rows(Shape.of(2), 0.5f, 0.5f);
    assertThat(BatchProbe.decide(Y, List.of(a), List.of(b), List.of(ab)))
        .hasValueSatisfying(
            why ->
                assertThat(why)
                    .startsWith("output 'y' differs when two samples run as one batch")
                    .contains("0.500000 batched, 1.00000 alone"));
  }

  @Test
  void rowsOfADifferentShapeAreNamed() {
    Tensor a = rows(Shape.of(1, 1), 1f);
    Tensor ab = rows(Shape.of(2, 2), 1f, 1f, 1f, 1f);
    assertThat(BatchProbe.decide(Y, List.of(a), List.of(a), List.of(ab)))
        .hasValue("output 'y' has shape [2, 2] for a batch of 2 but [1, 1] for one sample");
  }

  @Test
  void toleranceIsTightForFloatsAndExactForIntegers() {
    assertThat(BatchProbe.close(DataType.FP32, 1.00005, 1.0)).isTrue();
    assertThat(BatchProbe.close(DataType.FP32, 1.001, 1.0)).isFalse();
    assertThat(BatchProbe.close(DataType.FP32, Double.NaN, Double.NaN)).isTrue();
    assertThat(BatchProbe.close(DataType.FP32, Double.NaN, 0)).isFalse();
    assertThat(BatchProbe.close(DataType.FP16, 1.004, 1.0)).isTrue();
    assertThat(BatchProbe.close(DataType.INT64, 2, 1)).isFalse();
    assertThat(BatchProbe.close(DataType.INT64, 3, 3)).isTrue();
  }

  @Test
  void softmaxOverTheFirstDimensionIsServedWithoutBatchingAndSaysWhy() {
    TestRepo repo = new TestRepo(dir).model("softmax", 1, softmaxOverVector().build());
    try (ModelManager runtime = repo.start()) {
      ModelMetadata m = runtime.modelMetadata("softmax", Optional.empty());
      assertThat(m.parameters()).containsEntry("max_batch_size", 0);
      assertThat((String) m.parameters().get("batching"))
          .startsWith("off: output 'y' differs when two samples run as one batch");
      assertThat(m.inputs().getFirst().shape()).isEqualTo(Shape.of(-1));
      assertThat(runtime.repositoryIndex(false))
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.state()).isEqualTo("READY");
                assertThat(e.reason()).startsWith("batching off: output 'y' differs");
              });
      Tensor x = Tensor.ofFloats("x", Shape.of(3), 0f, 1f, 2f);
      InferenceResponse r = runtime.infer(TestRepo.request("softmax", x)).join();
      assertThat(r.outputs().getFirst().floats())
          .containsExactly(softmax(0f, 1f, 2f), within(1e-6f));
    }
  }

  @Test
  void concatAlongTheFirstDimensionIsServedWithoutBatchingAndAnswers() {
    TestRepo repo = new TestRepo(dir).model("concat", 1, concatTwice().build());
    try (ModelManager runtime = repo.start()) {
      ModelMetadata m = runtime.modelMetadata("concat", Optional.empty());
      assertThat(m.parameters())
          .containsEntry("max_batch_size", 0)
          .containsEntry(
              "batching", "off: output 'y' first dimension 2 for a batch of 1 (expected 1)");
      Tensor x = Tensor.ofFloats("x", Shape.of(1, 2), 1f, 2f);
      Tensor y = runtime.infer(TestRepo.request("concat", x)).join().outputs().getFirst();
      assertThat(y.shape()).isEqualTo(Shape.of(2, 2));
      assertThat(y.floats()).containsExactly(1f, 2f, 1f, 2f);
    }
  }

  @Test
  void aWarmupWrittenForBatchingStillRunsWhenTheProbeTurnsItOff() {
    TestRepo repo =
        new TestRepo(dir)
            .model("concat", 1, concatTwice().build())
            .config(
                "concat",
                "{\"warmup\": [{\"name\": \"w\", \"batch_size\": 3,"
                    + " \"inputs\": {\"x\": {\"random_data\": true, \"dims\": [2]}}}]}");
    try (ModelManager runtime = repo.start()) {
      assertThat(runtime.modelMetadata("concat", Optional.empty()).parameters())
          .containsEntry("max_batch_size", 0)
          .containsKey("batching");
      ModelVersion v = runtime.servingVersions("concat").getFirst();
      assertThat(v.instances().getFirst().runs).isEqualTo(1);
    }
  }

  @Test
  void aModelThatBatchesKeepsItsDerivedMaxBatchSize() {
    TestRepo repo = new TestRepo(dir).mlp("mlp", 1, 5);
    try (ModelManager runtime = repo.start()) {
      ModelMetadata m = runtime.modelMetadata("mlp", Optional.empty());
      assertThat(m.parameters()).containsEntry("max_batch_size", 32).doesNotContainKey("batching");
      assertThat(runtime.repositoryIndex(false))
          .extracting(RepositoryEntry::reason)
          .containsOnly("");
    }
  }

  @Test
  void aModelWithAPreprocessingPipelineIsProbedOnItsFloatInput() {
    TestRepo repo =
        new TestRepo(dir)
            .model(
                "fashion",
                1,
                OnnxModels.withMetadata(
                    ExampleModels.smallCnn(4),
                    Map.of(FittedPipeline.METADATA_KEY, RawInputTest.PIPELINE)));
    try (ModelManager runtime = repo.start()) {
      ModelMetadata m = runtime.modelMetadata("fashion", Optional.empty());
      assertThat(m.parameters())
          .containsEntry("max_batch_size", 32)
          .containsEntry("raw_input", "image")
          .doesNotContainKey("batching");
    }
  }

  /** {@code x:[n, m] -> Reshape(x, [0, -1, 2])}: runs only when m is even, and then batches. */
  static OnnxGraphBuilder reshapeToPairs() {
    OnnxGraphBuilder g = OnnxGraphBuilder.create("pairs");
    String x = g.input("x", DataType.FP32, Shape.of(-1, -1));
    String shape = g.initializer("pair_shape", Shape.of(3), new long[] {0, -1, 2});
    g.output(g.node("Reshape", List.of(x, shape), Map.of(), "y"), DataType.FP32, Shape.of(-1, 2));
    return g;
  }

  @Test
  void aSampleThatDoesNotRunTurnsBatchingOffUntilTheWarmupGivesItsDims() {
    TestRepo repo = new TestRepo(dir).model("pairs", 1, reshapeToPairs().build());
    try (ModelManager runtime = repo.start()) {
      assertThat(
              (String)
                  runtime.modelMetadata("pairs", Optional.empty()).parameters().get("batching"))
          .startsWith("off: one sample [x [1, 1]] did not run (give a warm-up sample dims");
    }
    repo.config("pairs", "{\"warmup\": [{\"name\": \"w\", \"inputs\": {\"x\": {\"dims\": [4]}}}]}");
    try (ModelManager runtime = repo.start()) {
      ModelMetadata m = runtime.modelMetadata("pairs", Optional.empty());
      assertThat(m.parameters()).containsEntry("max_batch_size", 32).doesNotContainKey("batching");
      Tensor x = Tensor.ofFloats("x", Shape.of(1, 4), 1, 2, 3, 4);
      assertThat(runtime.infer(TestRepo.request("pairs", x)).join().outputs().getFirst().shape())
          .isEqualTo(Shape.of(1, 2, 2));
    }
  }

  @Test
  void aConfiguredMaxBatchSizeIsHonouredWithoutAProbe() {
    TestRepo repo =
        new TestRepo(dir)
            .model("softmax", 1, softmaxOverVector().build())
            .config("softmax", "{\"max_batch_size\": 4}");
    try (ModelManager runtime = repo.start()) {
      ModelMetadata m = runtime.modelMetadata("softmax", Optional.empty());
      assertThat(m.parameters()).containsEntry("max_batch_size", 4).doesNotContainKey("batching");
      assertThat(m.inputs().getFirst().shape()).isEqualTo(Shape.of(-1));
      // Taken at its word: the rows of one request are the batch, and softmax runs across them.
      Tensor x = Tensor.ofFloats("x", Shape.of(2), 0f, 1f);
      assertThat(runtime.infer(TestRepo.request("softmax", x)).join().outputs().getFirst().floats())
          .containsExactly(softmax(0f, 1f), within(1e-6f));
    }
  }

  static float[] softmax(float... x) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : x) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (float v : x) {
      sum += Math.exp(v - max);
    }
    float[] out = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = (float) (Math.exp(x[i] - max) / sum);
    }
    return out;
  }
}
