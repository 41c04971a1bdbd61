package dev.strata.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.strata.core.DataType;
import dev.strata.core.InferenceResponse;
import dev.strata.core.RepositoryEntry;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.onnx.OnnxGraphBuilder;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model directory with Triton's config.pbtxt: read, honoured, and refused when in doubt. */
class TritonConfigRepositoryTest {
  @TempDir Path dir;

  /** {@code x[N, 3] -> y = 2x + 1}, a model whose right answer is known. */
  static ModelProto affine() {
    OnnxGraphBuilder g = OnnxGraphBuilder.create("affine");
    String x = g.input("x", DataType.FP32, Shape.of(-1, 3));
    String two = g.initializer("two", Shape.of(1), new float[] {2f});
    String one = g.initializer("one", Shape.of(1), new float[] {1f});
    String y =
        g.node("Add", java.util.List.of(g.node("Mul", x, two), one), java.util.Map.of(), "y");
    g.output(y, DataType.FP32, Shape.of(-1, 3));
    return g.build();
  }

  @Test
  void aPbtxtConfiguredModelServesWithItsSettings() {
    TestRepo repo = new TestRepo(dir).model("affine", 1, affine()).model("affine", 2, affine());
    repo.file(
        "affine",
        "config.pbtxt",
        """
        name: "affine"
        platform: "onnxruntime_onnx"
        max_batch_size: 4
        version_policy: { all { } }
        input [ { name: "x" data_type: TYPE_FP32 dims: [ 3 ] } ]
        output [ { name: "y" data_type: TYPE_FP32 dims: [ 3 ] } ]
        instance_group [ { count: 2 kind: KIND_CPU } ]
        dynamic_batching { max_queue_delay_microseconds: 100 }
        """);
    try (ModelManager runtime = repo.start()) {
      assertThat(runtime.modelMetadata("affine", Optional.empty()).versions())
          .containsExactly("1", "2");
      assertThat(runtime.servingVersions("affine").getFirst().instances()).hasSize(2);
      assertThat(runtime.modelMetadata("affine", Optional.empty()).parameters())
          .containsEntry("max_batch_size", 4);

      InferenceResponse r =
          runtime
              .infer(
                  TestRepo.request(
                      "affine", Tensor.ofFloats("x", Shape.of(2, 3), 0f, 1f, 2f, -1f, 0.5f, 10f)))
              .join();
      assertThat(r.output("y").orElseThrow().floats()).containsExactly(1f, 3f, 5f, -1f, 2f, 21f);
    }
  }

  @Test
  void anExplicitZeroMaxBatchSizeIsHonoured() {
    TestRepo repo = new TestRepo(dir).model("affine", 1, affine());
    repo.file("affine", "config.pbtxt", "max_batch_size: 0\n");
    try (ModelManager runtime = repo.start()) {
      assertThat(runtime.modelMetadata("affine", Optional.empty()).inputs().getFirst().shape())
          .isEqualTo(Shape.of(-1, 3));
      assertThat(runtime.modelMetadata("affine", Optional.empty()).parameters())
          .containsEntry("max_batch_size", 0);
    }
  }

  @Test
  void configPbtxtAndConfigJsonSideBySideMakeTheModelUnavailableNamingBoth() {
    TestRepo repo = new TestRepo(dir).model("affine", 1, affine()).mlp("other", 1, 7);
    repo.file("affine", "config.pbtxt", "max_batch_size: 4\n");
    repo.config("affine", "{\"max_batch_size\": 4}");
    try (ModelManager runtime = repo.start()) {
      RepositoryEntry entry =
          runtime.repositoryIndex(false).stream()
              .filter(e -> e.name().equals("affine"))
              .findFirst()
              .orElseThrow();
      assertThat(entry.state()).isEqualTo(ModelEntry.UNAVAILABLE);
      assertThat(entry.reason())
          .contains(dir.resolve("affine/config.json").toString())
          .contains(dir.resolve("affine/config.pbtxt").toString())
          .contains("both present");
      assertThat(runtime.modelReady("other", Optional.empty())).isTrue();
    }
  }

  @Test
  void anUnsupportedFieldMakesTheModelUnavailableWithTheReason() {
    TestRepo repo = new TestRepo(dir).model("affine", 1, affine());
    repo.file("affine", "config.pbtxt", "sequence_batching { }\n");
    try (ModelManager runtime = repo.start()) {
      assertThat(runtime.repositoryIndex(false).getFirst().reason())
          .contains("config.pbtxt: field 'sequence_batching' is not supported by Strata");
      assertThat(runtime.modelReady("affine", Optional.empty())).isFalse();
    }
  }

  @Test
  void aChangedConfigPbtxtIsReadAgainOnLoad() {
    TestRepo repo = new TestRepo(dir).model("affine", 1, affine());
    repo.file("affine", "config.pbtxt", "instance_group [ { count: 1 } ]\n");
    try (ModelManager runtime = repo.start()) {
      assertThat(runtime.modelConfig("affine", Optional.empty()).getInstanceGroup(0).getCount())
          .isEqualTo(1);

      repo.file("affine", "config.pbtxt", "instance_group [ { count: 2 } ]\nmax_batch_size: 2\n");
      runtime.load("affine");

      assertThat(runtime.servingVersions("affine").getFirst().instances()).hasSize(2);
      assertThat(runtime.modelConfig("affine", Optional.empty()).getMaxBatchSize()).isEqualTo(2);
    }
  }

  @Test
  void theNameMustBeTheDirectorysName() {
    TestRepo repo = new TestRepo(dir).model("affine", 1, affine());
    repo.file("affine", "config.pbtxt", "name: \"other\"\n");
    try (ModelManager runtime = repo.start()) {
      assertThat(runtime.repositoryIndex(false).getFirst().reason())
          .contains("config.pbtxt: name 'other' (expected: 'affine', the directory's name)");
    }
  }
}
