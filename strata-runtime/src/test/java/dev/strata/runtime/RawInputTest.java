package dev.strata.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.DataType;
import dev.strata.core.ErrorCode;
import dev.strata.core.InferenceResponse;
import dev.strata.core.OutputRequest;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import dev.strata.onnx.ExampleModels;
import dev.strata.onnx.OnnxModels;
import dev.strata.preprocess.FittedPipeline;
import dev.strata.preprocess.ImageCodec;
import dev.strata.preprocess.ModelMetadataKeys;
import dev.strata.preprocess.RawImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model exported with a fitted preprocessing pipeline in its metadata answers raw image bytes:
 * the runtime applies the same pipeline training used, and labels classes from the metadata.
 */
class RawInputTest {
  static final String PIPELINE =
      "{\"format_version\":1,\"input\":{\"kind\":\"image\",\"channels\":1,\"height\":28,"
          + "\"width\":28},\"steps\":[{\"op\":\"normalize\",\"mean\":[0.3],\"std\":[0.4]}],"
          + "\"augmentation\":[],\"model_input\":\"input\"}";
  static final String LABELS =
      "[\"zero\",\"one\",\"two\",\"three\",\"four\",\"five\",\"six\",\"seven\",\"eight\",\"nine\"]";

  @TempDir Path dir;

  private ModelManager start() {
    TestRepo repo = new TestRepo(dir);
    repo.model(
        "fashion",
        1,
        OnnxModels.withMetadata(
            ExampleModels.smallCnn(4),
            Map.of(FittedPipeline.METADATA_KEY, PIPELINE, ModelMetadataKeys.LABELS, LABELS)));
    return repo.start();
  }

  private static List<byte[]> pngs(int n) {
    Random rnd = new Random(8);
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] pixels = new byte[28 * 28];
      rnd.nextBytes(pixels);
      out.add(ImageCodec.encodePng(new RawImage(28, 28, 1, pixels)));
    }
    return out;
  }

  @Test
  void rawImageBytesGetTheSameAnswerAsTheTensorThePipelineMakes() {
    try (ModelManager runtime = start()) {
      assertThat(runtime.modelMetadata("fashion", Optional.empty()).parameters())
          .containsEntry("raw_input", "image");
      Tensor raw = Tensor.ofBytes("image", Shape.of(3), pngs(3));
      Tensor prepared =
          FittedPipeline.fromJson(PIPELINE).apply(List.of(raw)).withName(ExampleModels.INPUT);
      assertThat(prepared.datatype()).isEqualTo(DataType.FP32);
      assertThat(prepared.shape()).isEqualTo(Shape.of(3, 1, 28, 28));
      InferenceResponse fromRaw = runtime.infer(TestRepo.request("fashion", raw)).join();
      InferenceResponse fromTensor = runtime.infer(TestRepo.request("fashion", prepared)).join();
      assertThat(fromRaw.outputs().getFirst().floats())
          .containsExactly(fromTensor.outputs().getFirst().floats());
    }
  }

  @Test
  void classesAreLabelledFromTheModelMetadata() {
    try (ModelManager runtime = start()) {
      Tensor raw = Tensor.ofBytes("image", Shape.of(1, 1), pngs(1));
      List<String> top =
          runtime
              .infer(
                  TestRepo.request(
                      "fashion",
                      Optional.empty(),
                      "",
                      List.of(new OutputRequest(ExampleModels.OUTPUT, 2, Map.of())),
                      raw))
              .join()
              .outputs()
              .getFirst()
              .strings();
      assertThat(top).hasSize(2);
      assertThat(top.getFirst())
          .matches("0\\.\\d{6}:\\d:(zero|one|two|three|four|five|six|seven|eight|nine)");
    }
  }

  @Test
  void bytesThatAreNotAnImageAreRejectedByName() {
    try (ModelManager runtime = start()) {
      Tensor junk = Tensor.ofBytes("image", Shape.of(1), List.of(new byte[] {1, 2, 3}));
      assertThatThrownBy(() -> runtime.infer(TestRepo.request("fashion", junk)).join())
          .hasCauseInstanceOf(StrataException.class)
          .cause()
          .satisfies(
              e -> assertThat(((StrataException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
          .hasMessageContaining("not a PNG or JPEG");
    }
  }
}
