package dev.strata.federated.client;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.strata.federated.job.OnnxParameters;
import dev.strata.onnx.OnnxModels;
import dev.strata.train.data.DataSources;
import dev.strata.train.data.Dataset;
import dev.strata.train.data.Features;
import dev.strata.train.data.PreparedData;
import dev.strata.train.engine.TrainConfig;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The committed fashion-cnn, exported by strata train, as a federated job's starting model. */
class StartModelTest {
  static final Path MODEL = Path.of("..", "models", "fashion-cnn", "model.onnx").toAbsolutePath();
  static final Path SUBSET = Path.of("..", "data", "fashion-mnist-subset").toAbsolutePath();

  @Test
  void theOnnxParameterVectorDrivesTheDjlNetworkExactly() throws Exception {
    ModelProto proto = OnnxModels.read(MODEL);
    StartModel start = StartModel.of(proto, "fashion-cnn");
    assertThat(start.classes()).hasSize(10);
    assertThat(start.parameters())
        .hasSize(start.layout().getLast().offset() + start.layout().getLast().size());
    Dataset.Images test = DataSources.readIdx(SUBSET, "t10k");
    Features f = PreparedData.features(start.pipeline(), test);
    try (LocalTrainer t =
        new LocalTrainer(
            TrainConfig.defaults(), start.spec(), start.pipeline(), Optional.of(start.layout()))) {
      assertThat(t.size()).isEqualTo(start.parameters().length);
      // the committed model scores 92.7% on the full test set: a mapping error would not
      double[] eval = t.evaluate(start.parameters(), f);
      assertThat(eval[1]).isGreaterThan(0.88);
      // and the vector read back from the network is the one loaded
      assertThat(t.parameters()).containsExactly(start.parameters());
    }
    // writing a vector into the model and reading it back gives that vector; the rest is kept
    float[] changed = start.parameters().clone();
    changed[0] += 1;
    ModelProto written = OnnxParameters.write(proto, changed);
    assertThat(OnnxParameters.read(written)).containsExactly(changed);
    assertThat(OnnxModels.metadata(written)).isEqualTo(OnnxModels.metadata(proto));
    assertThat(written.getGraph().getNodeList()).isEqualTo(proto.getGraph().getNodeList());
  }
}
