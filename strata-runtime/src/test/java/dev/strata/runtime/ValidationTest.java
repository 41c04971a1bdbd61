package dev.strata.runtime;

import static dev.strata.runtime.Failures.failure;
import static dev.strata.runtime.TestRepo.request;
import static dev.strata.runtime.TestRepo.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.DataType;
import dev.strata.core.ErrorCode;
import dev.strata.core.InferenceRequest;
import dev.strata.core.OutputRequest;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import dev.strata.onnx.ExampleModels;
import dev.strata.onnx.OnnxGraphBuilder;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Requests that do not fit the model fail before they are queued, saying what was wrong. */
class ValidationTest {
  @TempDir static Path dir;
  static ModelManager runtime;

  @BeforeAll
  static void start() {
    OnnxGraphBuilder g = OnnxGraphBuilder.create("u32");
    String in = g.input("in", DataType.UINT32, Shape.of(-1, 2));
    g.output(g.node("Identity", List.of(in), Map.of(), "out"), DataType.UINT32, Shape.of(-1, 2));
    TestRepo repo =
        new TestRepo(dir)
            .mlp("mlp", 1, 7)
            .config("mlp", "{\"max_batch_size\": 4}")
            .model("identity", 1, ExampleModels.identityAllTypes())
            .mlp("fixed", 1, 7)
            .config("fixed", "{\"max_batch_size\": 0}")
            .model("u32", 1, g.build());
    runtime = repo.start();
  }

  @AfterAll
  static void stop() {
    runtime.close();
  }

  @Test
  void unknownInput() {
    Tensor t = rows(1, 0).withName("inptu");
    assertInvalid(request("mlp", t), "input 'inptu' is not an input of model 'mlp'", "[input]");
  }

  @Test
  void missingInput() {
    Tensor t = Tensor.ofFloats("in_FP32", Shape.of(1, 3), 1, 2, 3);
    assertInvalid(request("identity", t), "input 'in_BOOL' is missing");
  }

  @Test
  void datatypeMismatch() {
    Tensor t = Tensor.ofDoubles("input", Shape.of(1, 4), 1, 2, 3, 4);
    assertInvalid(request("mlp", t), "input 'input': datatype FP64 (expected: FP32)");
  }

  @Test
  void unsupportedDatatypeIsNamed() {
    Tensor t = new Tensor("input", DataType.UINT32, Shape.of(1, 4), ByteBuffer.allocate(16));
    assertInvalid(request("mlp", t), "datatype UINT32 (expected: FP32)");
  }

  @Test
  void modelWithAnUnsupportedDatatypeIsUnavailableWithTheReason() {
    assertThat(runtime.repositoryIndex(false))
        .filteredOn(e -> e.name().equals("u32"))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.state()).isEqualTo("UNAVAILABLE");
              assertThat(e.reason()).contains("input 'in' has datatype UINT32");
            });
    StrataException e =
        failure(
            runtime.infer(
                request(
                    "u32",
                    new Tensor("in", DataType.UINT32, Shape.of(1, 2), ByteBuffer.allocate(8)))));
    assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(e.getMessage()).contains("UINT32");
  }

  @Test
  void rankMismatch() {
    Tensor t = Tensor.ofFloats("input", Shape.of(4), 1, 2, 3, 4);
    assertInvalid(
        request("mlp", t), "input 'input': shape [4] (expected: the batch size then [4], rank 2)");
  }

  @Test
  void dimensionMismatch() {
    Tensor t = Tensor.ofFloats("input", Shape.of(1, 3), 1, 2, 3);
    assertInvalid(request("mlp", t), "input 'input': shape [1, 3]", "then [4]");
  }

  @Test
  void nonBatchingModelTakesItsFullShape() {
    Tensor t = Tensor.ofFloats("input", Shape.of(1, 1, 4), 1, 2, 3, 4);
    assertInvalid(request("fixed", t), "input 'input': shape [1, 1, 4] (expected: [-1, 4]");
    assertThat(runtime.infer(request("fixed", rows(5, 0))).join().outputs().getFirst().shape())
        .isEqualTo(Shape.of(5, 3));
  }

  @Test
  void batchOverTheLimit() {
    assertInvalid(
        request("mlp", rows(5, 0)),
        "input 'input': batch size 5 is over the model's max_batch_size 4");
  }

  @Test
  void inconsistentBatchSizes() {
    InferenceRequest r = DatatypesTestData.identity(2, 3);
    assertInvalid(r, "inputs disagree on the batch size", "has 2", "has 3");
  }

  @Test
  void unknownOutput() {
    InferenceRequest r =
        request("mlp", Optional.empty(), "", List.of(OutputRequest.of("logits")), rows(1, 0));
    assertInvalid(r, "output 'logits' is not an output of model 'mlp'", "probabilities");
  }

  @Test
  void dataLengthIsCheckedByTheTensorItself() {
    assertThatThrownBy(() -> Tensor.ofFloats("input", Shape.of(2, 4), 1, 2, 3))
        .isInstanceOf(StrataException.class)
        .hasMessageContaining("12 bytes of FP32 data for shape [2, 4] (expected: 32 bytes");
  }

  @Test
  void unknownModelAndVersionAreNotFound() {
    assertThat(failure(runtime.infer(request("nope", rows(1, 0)))).code())
        .isEqualTo(ErrorCode.NOT_FOUND);
    for (String v : List.of("2", "abc", "0", "-1")) {
      StrataException e =
          failure(runtime.infer(request("mlp", Optional.of(v), "", List.of(), rows(1, 0))));
      assertThat(e.code()).as(v).isEqualTo(ErrorCode.NOT_FOUND);
      assertThat(e.getMessage()).as(v).contains("model 'mlp' has no version");
    }
    assertThatThrownBy(() -> runtime.modelMetadata("nope", Optional.empty()))
        .isInstanceOfSatisfying(
            StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
    assertThatThrownBy(() -> runtime.statistics(Optional.of("mlp"), Optional.of("9")))
        .isInstanceOfSatisfying(
            StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
  }

  @Test
  void failuresAreCountedByReason() {
    failure(runtime.infer(request("mlp", rows(5, 0))));
    assertThat(
            runtime
                .statistics(Optional.of("mlp"), Optional.empty())
                .getFirst()
                .inferenceStats()
                .fail()
                .count())
        .isPositive();
  }

  private static void assertInvalid(InferenceRequest r, String... parts) {
    StrataException e = failure(runtime.infer(r));
    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(e.getMessage()).contains(parts);
  }
}
