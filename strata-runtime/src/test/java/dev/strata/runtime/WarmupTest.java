package dev.strata.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.core.DataType;
import dev.strata.core.ModelStatistics;
import dev.strata.core.Shape;
import dev.strata.onnx.OnnxGraphBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Warm-up samples run on every instance before a version is ready, outside the statistics. */
class WarmupTest {
  @TempDir Path dir;

  @Test
  void everyInstanceRunsEverySampleBeforeTheVersionIsReady() {
    TestRepo repo =
        new TestRepo(dir)
            .mlp("mlp", 1, 1)
            .config(
                "mlp",
                """
                {"instances": {"count": 2, "intra_op_threads": 1},
                 "warmup": [{"name": "zeros", "batch_size": 4, "count": 3},
                            {"name": "noise", "inputs": {"input": {"random_data": true,
                                                                   "data_type": "TYPE_FP32"}}}]}
                """);
    try (ModelManager runtime = repo.start()) {
      assertThat(runtime.modelReady("mlp", Optional.empty())).isTrue();
      assertThat(runtime.servingVersions("mlp").getFirst().instances())
          .hasSize(2)
          .allSatisfy(i -> assertThat(i.runs).isEqualTo(4));
      ModelStatistics stats = runtime.statistics(Optional.of("mlp"), Optional.empty()).getFirst();
      assertThat(stats.executionCount()).isZero();
      assertThat(stats.inferenceCount()).isZero();
    }
  }

  @Test
  void dynamicDimensionsTakeTheGivenDimsOrOne() {
    OnnxGraphBuilder g = OnnxGraphBuilder.create("any");
    String in = g.input("x", DataType.BYTES, Shape.of(-1, -1));
    g.output(g.node("Identity", List.of(in), Map.of(), "y"), DataType.BYTES, Shape.of(-1, -1));
    TestRepo repo =
        new TestRepo(dir)
            .model("any", 1, g.build())
            .config(
                "any",
                """
                {"warmup": [{"batch_size": 2, "inputs": {"x": {"random_data": true, "dims": [5]}}},
                            {"inputs": {}}]}
                """);
    try (ModelManager runtime = repo.start()) {
      assertThat(runtime.servingVersions("any").getFirst().instances().getFirst().runs)
          .isEqualTo(2);
    }
  }

  @Test
  void aSampleThatDoesNotFitMakesTheVersionUnavailable() {
    TestRepo repo =
        new TestRepo(dir)
            .mlp("unknown", 1, 1)
            .config("unknown", "{\"warmup\": [{\"name\": \"w\", \"inputs\": {\"image\": {}}}]}")
            .mlp("big", 1, 1)
            .config(
                "big",
                "{\"max_batch_size\": 4, \"warmup\": [{\"name\": \"w\", \"batch_size\": 8}]}")
            .mlp("type", 1, 1)
            .config(
                "type",
                "{\"warmup\": [{\"name\": \"w\", \"inputs\": {\"input\": {\"data_type\": \"INT8\"}}}]}");
    try (ModelManager runtime = repo.start()) {
      assertThat(runtime.ready()).isTrue();
      assertThat(runtime.repositoryIndex(false))
          .extracting(e -> e.name() + ": " + e.reason())
          .containsExactly(
              "big: warmup 'w': batch_size 8 is over max_batch_size 4",
              "type: warmup 'w' input 'input': data_type INT8 (expected: FP32)",
              "unknown: warmup 'w': 'image' is not an input of the model");
    }
  }
}
