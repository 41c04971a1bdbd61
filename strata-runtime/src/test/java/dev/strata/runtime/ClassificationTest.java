package dev.strata.runtime;

import static dev.strata.runtime.Failures.failure;
import static dev.strata.runtime.TestRepo.rows;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.core.DataType;
import dev.strata.core.ErrorCode;
import dev.strata.core.InferenceRequest;
import dev.strata.core.OutputRequest;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import dev.strata.onnx.ExampleModels;
import dev.strata.onnx.OnnxGraphBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The classification extension: top-k "score:index[:label]" strings. */
class ClassificationTest {
  @TempDir Path dir;

  private static InferenceRequest classify(String model, String output, int k, Tensor input) {
    return new InferenceRequest(
        model,
        Optional.empty(),
        "",
        List.of(input),
        List.of(new OutputRequest(output, k, Map.of())),
        Map.of(),
        Optional.empty());
  }

  private static Tensor ints(String name, Shape shape, int... values) {
    return Tensor.ofInts(name, shape, values);
  }

  @Test
  void labelsIntegerScoresAndLimits() throws Exception {
    OnnxGraphBuilder g = OnnxGraphBuilder.create("ints");
    String in = g.input("x", DataType.INT32, Shape.of(-1, 3));
    g.output(g.node("Identity", List.of(in), Map.of(), "y"), DataType.INT32, Shape.of(-1, 3));
    TestRepo repo =
        new TestRepo(dir)
            .model("ints", 1, g.build())
            .config("ints", "{\"labels\": \"labels.txt\"}")
            .file("ints", "labels.txt", "cat\ndog\nbird\n")
            .model("fixed", 1, g.build())
            .config(
                "fixed",
                "{\"max_batch_size\": 0, \"outputs\": [{\"name\": \"y\", \"data_type\": \"INT32\","
                    + " \"dims\": [-1, 3], \"labels\": \"two.txt\"}]}")
            .file("fixed", "two.txt", "first\nsecond");
    try (ModelManager runtime = repo.start()) {
      Tensor batch = ints("x", Shape.of(2, 3), 5, 9, 7, 4, 4, 1);
      Tensor top2 = runtime.infer(classify("ints", "y", 2, batch)).get().outputs().getFirst();
      assertThat(top2.shape()).isEqualTo(Shape.of(2, 2));
      assertThat(top2.strings()).containsExactly("9:1:dog", "7:2:bird", "4:0:cat", "4:1:dog");

      Tensor capped = runtime.infer(classify("ints", "y", 10, batch)).get().outputs().getFirst();
      assertThat(capped.shape()).isEqualTo(Shape.of(2, 3));

      // a non-batching model's whole output is one vector; labels per output; no label past the end
      Tensor whole =
          runtime
              .infer(classify("fixed", "y", 2, ints("x", Shape.of(1, 3), 1, 2, 3)))
              .get()
              .outputs()
              .getFirst();
      assertThat(whole.shape()).isEqualTo(Shape.of(2));
      assertThat(whole.strings()).containsExactly("3:2", "2:1:second");
    }
  }

  @Test
  void floatScoresHaveSixDecimals() throws Exception {
    try (ModelManager runtime =
        new TestRepo(dir)
            .mlp("mlp", 1, 1)
            .config("mlp", "{\"labels\": \"l.txt\"}")
            .file("mlp", "l.txt", "a\nb\nc")
            .start()) {
      Tensor out =
          runtime
              .infer(classify("mlp", ExampleModels.OUTPUT, 1, rows(1, 0)))
              .get()
              .outputs()
              .getFirst();
      assertThat(out.strings().getFirst()).matches("0\\.\\d{6}:\\d:[abc]");
    }
  }

  @Test
  void aBytesOutputCannotBeClassified() {
    OnnxGraphBuilder g = OnnxGraphBuilder.create("s");
    String in = g.input("x", DataType.BYTES, Shape.of(-1, 2));
    g.output(g.node("Identity", List.of(in), Map.of(), "y"), DataType.BYTES, Shape.of(-1, 2));
    try (ModelManager runtime = new TestRepo(dir).model("s", 1, g.build()).start()) {
      StrataException e =
          failure(
              runtime.infer(
                  classify("s", "y", 1, Tensor.ofStrings("x", Shape.of(1, 2), List.of("a", "b")))));
      assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(e.getMessage()).contains("output 'y': classification needs a numeric output");
    }
  }

  @Test
  void aMissingLabelsFileMakesTheVersionUnavailable() {
    try (ModelManager runtime =
        new TestRepo(dir).mlp("mlp", 1, 1).config("mlp", "{\"labels\": \"nope.txt\"}").start()) {
      assertThat(runtime.repositoryIndex(false).getFirst().reason())
          .contains("labels file", "nope.txt");
    }
  }
}
