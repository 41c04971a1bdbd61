package dev.strata.compress.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.strata.onnx.OnnxModels;
import dev.strata.preprocess.FittedPipeline;
import dev.strata.train.data.DataSources;
import dev.strata.train.data.Features;
import dev.strata.train.data.PreparedData;
import dev.strata.train.engine.TrainConfig;
import dev.strata.train.spec.TrainingSpec;
import dev.strata.train.training.TrainingListener;
import dev.strata.train.workflow.TrainingWorkflow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A residual network trained by Strata's pipeline quantizes like a plain one: the sums of its
 * blocks run in int8 (ONNX Runtime fuses them into QLinearAdd) and the answers stay the original's.
 */
class ResidualQuantizationTest {
  static final Path SUBSET = Path.of("..", "data", "fashion-mnist-subset").toAbsolutePath();

  static final String SPEC =
      """
      format_version: 1
      name: tiny-resnet
      preprocessing:
        input: {kind: image, channels: 1, height: 28, width: 28}
        steps:
          - {op: normalize}
          - {op: split, validation: 0.1, test: 0, seed: 1, stratified: true}
      model:
        layers:
          - {type: conv2d, filters: 8, kernel: 3, padding: 1, bias: false}
          - {type: batch_norm}
          - {type: relu}
          - {type: max_pool, kernel: 2}
          - {type: residual, filters: 8}
          - {type: residual, filters: 16, stride: 2}
          - {type: global_avg_pool}
          - {type: linear, units: 10}
          - {type: softmax}
      training:
        epochs: 3
        batch_size: 64
        seed: 3
        optimizer: {type: adam, learning_rate: 0.01}
      """;

  @Test
  void theBlocksSumsRunInInt8AndTheAnswersStay(@TempDir Path dir) throws Exception {
    TrainingSpec spec = TrainingSpec.parse(SPEC, true, "test spec");
    TrainingWorkflow.Result trained =
        new TrainingWorkflow(TrainConfig.defaults(), Clock.systemUTC())
            .run(
                spec,
                SUBSET,
                dir.resolve("trained"),
                TrainingWorkflow.Options.defaults(new TrainingListener() {}));
    ModelProto model = OnnxModels.read(trained.model());
    FittedPipeline pipeline =
        FittedPipeline.fromModelMetadata(OnnxModels.metadata(model)).orElseThrow();
    PreparedData data =
        PreparedData.prepare(spec, DataSources.load(SUBSET, spec), Optional.of(pipeline));
    Features train = data.train();
    int n = 128;
    Calibration.Samples samples =
        new Calibration.Samples(
            pipeline.modelInput(),
            Arrays.copyOf(train.data(), n * train.sampleSize()),
            train.sampleShape(),
            n);
    StaticQuantizer.Result r =
        StaticQuantizer.quantize(
            model,
            samples,
            new StaticQuantizer.Options(Calibration.Method.MINMAX, 99.99, true, Set.of(), true));
    assertThat(r.batchNormsFolded()).isEqualTo(6);
    assertThat(r.quantizedNodes()).filteredOn(s -> s.startsWith("Add")).hasSize(2);

    Features test = data.test().orElseThrow();
    long[] shape = {test.count(), 1, 28, 28};
    float[][] a = SmallNets.run(model, pipeline.modelInput(), test.data(), shape);
    float[][] b = SmallNets.run(r.model(), pipeline.modelInput(), test.data(), shape);
    int agree = 0;
    for (int i = 0; i < a.length; i++) {
      agree += argmax(a[i]) == argmax(b[i]) ? 1 : 0;
    }
    assertThat((double) agree / a.length).isGreaterThan(0.95);

    Path optimized = dir.resolve("optimized.onnx");
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setOptimizedModelFilePath(optimized.toString());
      OrtEnvironment.getEnvironment().createSession(r.model().toByteArray(), o).close();
    }
    ModelProto ran = ModelProto.parseFrom(Files.readAllBytes(optimized));
    assertThat(ran.getGraph().getNodeList())
        .extracting(NodeProto::getOpType)
        .contains("QLinearConv", "QLinearAdd")
        .doesNotContain("Conv", "Add");
  }

  private static int argmax(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }
}
