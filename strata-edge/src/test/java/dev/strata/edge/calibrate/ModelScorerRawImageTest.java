package dev.strata.edge.calibrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.onnx.OnnxModels;
import dev.strata.preprocess.FittedPipeline;
import dev.strata.preprocess.ImageCodec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Calibrating the reference edge model on the shipped Fashion-MNIST subset: the images reach the
 * model through its own fitted pipeline (as when it serves), not through the set's plain scaling.
 */
class ModelScorerRawImageTest {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final Path MODEL = ROOT.resolve("models/fashion-edge/model.onnx");
  static final Path SUBSET = ROOT.resolve("data/fashion-mnist-subset");

  @TempDir Path dir;

  @Test
  void imagesGoThroughTheModelsOwnPipeline() throws Exception {
    LabelledSet set =
        Datasets.idx(
                SUBSET.resolve("t10k-images-idx3-ubyte.gz"),
                SUBSET.resolve("t10k-labels-idx1-ubyte.gz"),
                255)
            .limit(200);
    assertThat(set.images()).hasSize(200);
    List<double[]> probabilities;
    try (ModelScorer scorer = ModelScorer.local(MODEL, dir)) {
      probabilities = scorer.probabilities(set, 64);
    }
    int right = 0;
    for (int i = 0; i < set.size(); i++) {
      right += argmax(probabilities.get(i)) == set.labels()[i] ? 1 : 0;
    }
    // The reference model is 91% accurate on the full test set; the plain /255 scaling it was not
    // trained with would give about 25%.
    assertThat(right).isGreaterThan(170);

    // The same answer as the tensor the model's pipeline makes, fed as it is.
    FittedPipeline pipeline =
        FittedPipeline.fromModelMetadata(OnnxModels.metadata(OnnxModels.read(MODEL))).orElseThrow();
    List<byte[]> pngs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      pngs.add(ImageCodec.encodePng(set.images().get(i)));
    }
    Tensor input = pipeline.apply(List.of(Tensor.ofBytes("image", Shape.of(4), pngs)));
    List<float[]> prepared = new ArrayList<>();
    float[] flat = input.floats();
    for (int i = 0; i < 4; i++) {
      prepared.add(java.util.Arrays.copyOfRange(flat, i * 784, i * 784 + 784));
    }
    try (ModelScorer scorer = ModelScorer.local(MODEL, dir)) {
      List<double[]> direct =
          scorer.probabilities(
              new LabelledSet(prepared, java.util.Arrays.copyOf(set.labels(), 4)), 4);
      for (int i = 0; i < 4; i++) {
        for (int c = 0; c < 10; c++) {
          assertThat(direct.get(i)[c]).isCloseTo(probabilities.get(i)[c], within(1e-6));
        }
      }
    }
  }

  private static int argmax(double[] p) {
    int best = 0;
    for (int i = 1; i < p.length; i++) {
      best = p[i] > p[best] ? i : best;
    }
    return best;
  }
}
