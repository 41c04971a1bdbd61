package dev.strata.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.strata.core.DataType;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ImagePipelineTest {
  private static final InputSpec.Image GRAY_28 = new InputSpec.Image(1, 28, 28);

  static List<RawImage> randomImages(int n, int h, int w, int c, long seed) {
    Random rnd = new Random(seed);
    List<RawImage> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] px = new byte[h * w * c];
      rnd.nextBytes(px);
      out.add(new RawImage(h, w, c, px));
    }
    return out;
  }

  @Test
  void fitsNormalizationOnTrainingImagesAndStandardizes() {
    List<RawImage> images = randomImages(50, 28, 28, 1, 1);
    FittedPipeline p =
        PipelineFitter.fitImages(
            PipelineSpec.of(GRAY_28, List.of(new Step.Normalize(List.of(), List.of()))), images);
    FittedStep.Normalize n = (FittedStep.Normalize) p.steps().getFirst();
    double sum = 0;
    double sq = 0;
    int count = 0;
    for (RawImage img : images) {
      for (float v : p.applyImage(img, "img")) {
        sum += v;
        sq += v * v;
        count++;
      }
    }
    assertThat(n.mean()[0]).isCloseTo(0.5f, within(0.01f)); // uniform random bytes
    assertThat(sum / count).isCloseTo(0, within(1e-4));
    assertThat(Math.sqrt(sq / count)).isCloseTo(1, within(1e-3));
  }

  @Test
  void grayscaleResizeAndNormalizeGiveTheExpectedValues() {
    // a 2x2 RGB image: red, green / blue, white
    byte[] px = {
      (byte) 255, 0, 0, 0, (byte) 255, 0, 0, 0, (byte) 255, (byte) 255, (byte) 255, (byte) 255
    };
    RawImage img = new RawImage(2, 2, 3, px);
    FittedPipeline p =
        PipelineFitter.fitImages(
            PipelineSpec.of(
                new InputSpec.Image(3, 2, 2),
                List.of(
                    new Step.Grayscale(),
                    new Step.Resize(1, 1),
                    new Step.Normalize(List.of(0.5), List.of(0.25)))),
            List.of());
    float[] f = p.applyImage(img, "img");
    // luma: 0.299*255, 0.587*255, 0.114*255, 255 -> mean of the four (bilinear 2x2 -> 1x1)
    double luma = (0.299 + 0.587 + 0.114 + 1.0) * 255 / 4;
    assertThat(f).hasSize(1);
    assertThat(f[0]).isCloseTo((float) ((luma / 255 - 0.5) / 0.25), within(1e-4f));
    assertThat(p.featureShape()).containsExactly(1, 1, 1);
  }

  @Test
  void bilinearResizeUpsamplesWithHalfPixelCentres() {
    RawImage img = new RawImage(1, 2, 1, new byte[] {0, (byte) 200});
    FittedPipeline p =
        PipelineFitter.fitImages(
            PipelineSpec.of(new InputSpec.Image(1, 1, 2), List.of(new Step.Resize(1, 4))),
            List.of());
    // output x centres map to input 0-0.25 (clamped), 0.25, 0.75, 1.25 (clamped)
    assertThat(p.applyImage(img, "img")).containsExactly(0f, 50f, 150f, 200f);
  }

  @Test
  void aServedPngGivesTheSameTensorAsTheTrainingSide() {
    List<RawImage> images = randomImages(20, 28, 28, 1, 7);
    FittedPipeline fitted =
        PipelineFitter.fitImages(
            PipelineSpec.of(GRAY_28, List.of(new Step.Normalize(List.of(), List.of()))), images);
    // what travels in the model: the JSON in the ONNX metadata
    FittedPipeline served =
        FittedPipeline.fromModelMetadata(Map.of(FittedPipeline.METADATA_KEY, fitted.toJson()))
            .orElseThrow();
    List<byte[]> pngs =
        List.of(ImageCodec.encodePng(images.get(3)), ImageCodec.encodePng(images.get(9)));
    Tensor in = served.apply(Tensor.ofBytes("image", Shape.of(2), pngs));
    assertThat(in.datatype()).isEqualTo(DataType.FP32);
    assertThat(in.shape()).isEqualTo(Shape.of(2, 1, 28, 28));
    assertThat(in.name()).isEqualTo("input");
    float[] expected = new float[2 * 784];
    System.arraycopy(fitted.applyImage(images.get(3), "train 3"), 0, expected, 0, 784);
    System.arraycopy(fitted.applyImage(images.get(9), "train 9"), 0, expected, 784, 784);
    assertThat(in.floats()).containsExactly(expected);
  }

  @Test
  void rgbRequestsForAGrayModelAreConvertedAndWrongSizesRefused() {
    FittedPipeline p =
        PipelineFitter.fitImages(
            PipelineSpec.of(GRAY_28, List.of(new Step.Normalize(List.of(0.0), List.of(1.0)))),
            List.of());
    RawImage rgb = randomImages(1, 28, 28, 3, 2).getFirst();
    Tensor out = p.apply(Tensor.ofBytes("x", Shape.of(1, 1), List.of(ImageCodec.encodePng(rgb))));
    assertThat(out.shape()).isEqualTo(Shape.of(1, 1, 28, 28));
    RawImage small = randomImages(1, 20, 28, 1, 3).getFirst();
    assertThatThrownBy(
            () -> p.apply(Tensor.ofBytes("x", Shape.of(1), List.of(ImageCodec.encodePng(small)))))
        .hasMessageContaining("input 'x' image 0: 20x28 pixels (expected: 28x28)");
    assertThatThrownBy(
            () -> p.apply(Tensor.ofBytes("x", Shape.of(1), List.of(new byte[] {1, 2, 3}))))
        .hasMessageContaining("input 'x' image 0: not a PNG or JPEG image");
    assertThatThrownBy(() -> p.apply(Tensor.ofFloats("x", Shape.of(1), 1f)))
        .hasMessageContaining("datatype FP32 (expected: BYTES");
  }

  @Test
  void augmentationFlipsAndShiftsWithBackgroundFill() {
    FittedPipeline p =
        PipelineFitter.fitImages(
            PipelineSpec.of(
                new InputSpec.Image(1, 2, 3),
                List.of(new Step.Normalize(List.of(0.5), List.of(0.5)), new Step.RandomFlip(1.0))),
            List.of());
    float[] f = {1, 2, 3, 4, 5, 6};
    new Augmenter(p).apply(f, 0, new Random(1));
    assertThat(f).containsExactly(3, 2, 1, 6, 5, 4);

    FittedPipeline shift =
        PipelineFitter.fitImages(
            PipelineSpec.of(
                new InputSpec.Image(1, 3, 3),
                List.of(new Step.Normalize(List.of(0.5), List.of(0.5)), new Step.RandomShift(1))),
            List.of());
    Augmenter a = new Augmenter(shift);
    boolean sawShift = false;
    Random rnd = new Random(5);
    for (int t = 0; t < 20; t++) {
      float[] g = {1, 2, 3, 4, 5, 6, 7, 8, 9};
      a.apply(g, 0, rnd);
      for (float v : g) {
        // every value is either an original pixel or the fill: normalised black, (0 - 0.5) / 0.5
        assertThat(v == -1f || (v >= 1 && v <= 9)).isTrue();
      }
      sawShift |= g[4] != 5f;
    }
    assertThat(sawShift).isTrue();
    assertThat(
            new Augmenter(PipelineFitter.fitImages(PipelineSpec.of(GRAY_28, List.of()), List.of()))
                .isEmpty())
        .isTrue();
  }

  @Test
  void modelsWithoutAPipelineHaveNone() {
    assertThat(FittedPipeline.fromModelMetadata(Map.of("other", "x"))).isEqualTo(Optional.empty());
  }
}
