package dev.strata.train.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.train.TestSupport;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingSpecTest {
  private static final String LAYERS =
      """
      - {type: conv2d, filters: 4, kernel: 3, padding: 1}
      - {type: batch_norm}
      - {type: relu}
      - {type: max_pool, kernel: 2}
      - {type: flatten}
      - {type: linear, units: 10}
      - {type: softmax}
      """;
  private static final String TRAINING =
      """
      epochs: 3
      batch_size: 32
      seed: 5
      optimizer: {type: sgd, learning_rate: 0.1, momentum: 0.9, weight_decay: 0.0001}
      schedule: {type: step, step_epochs: 1, gamma: 0.5, warmup_epochs: 1}
      early_stopping: {metric: loss, patience: 2}
      """;

  @Test
  void parsesYamlWithDefaultsAndRoundTripsThroughJson(@TempDir Path dir) throws Exception {
    TrainingSpec spec = TestSupport.spec(TestSupport.imageSpec(LAYERS, TRAINING));
    assertThat(spec.task()).isEqualTo(TrainingSpec.Task.CLASSIFICATION);
    assertThat(spec.model().layers()).hasSize(7);
    assertThat(spec.model().layers().getFirst()).isEqualTo(new LayerSpec.Conv2d(4, 3, 1, 1, true));
    assertThat(spec.model().layers().get(3)).isEqualTo(new LayerSpec.MaxPool(2, 2, 0));
    assertThat(spec.training().loss()).isEqualTo(new TrainingOptions.Loss.SoftmaxCrossEntropy(0));
    assertThat(spec.training().optimizer())
        .isEqualTo(new TrainingOptions.Optimizer.Sgd(0.1, 0.9, 0.0001));
    assertThat(spec.training().earlyStopping().enabled()).isTrue();

    Path json = dir.resolve("spec.json");
    Files.writeString(json, spec.toJson());
    assertThat(TrainingSpec.read(json)).isEqualTo(spec);
  }

  @Test
  void theResnetTeacherSpecFitsItsBudget() {
    TrainingSpec s =
        TrainingSpec.read(Path.of("..", "models", "fashion-resnet", "spec.yaml").toAbsolutePath());
    long params =
        dev.strata.train.model.Networks.parameterCount(s.model().layers(), new long[] {1, 28, 28});
    // issue 11 §4: at most 3M parameters
    assertThat(params).isBetween(500_000L, 3_000_000L);
    assertThat(s.model().layers()).filteredOn(l -> l instanceof LayerSpec.Residual).hasSize(6);
  }

  @Test
  void errorsNameTheFieldAndTheExpectation() {
    assertThatThrownBy(() -> parse(LAYERS.replace("conv2d", "conv3d"), TRAINING))
        .isInstanceOf(StrataException.class)
        .hasMessageContaining("conv3d");
    assertThatThrownBy(() -> parse(LAYERS.replace("filters: 4", "filters: 0"), TRAINING))
        .hasMessageContaining("conv2d.filters: 0 (expected: > 0)");
    assertThatThrownBy(() -> parse(LAYERS, TRAINING.replace("epochs: 3", "epochs: -1")))
        .hasMessageContaining("training.epochs: -1 (expected: > 0)");
    assertThatThrownBy(() -> parse(LAYERS, TRAINING.replace("optimizer: ", "optimiser: ")))
        .hasMessageContaining("training.optimizer: missing (expected: sgd, adam or adamw)");
    assertThatThrownBy(() -> parse(LAYERS, TRAINING.replace("seed: 5", "sead: 5")))
        .hasMessageContaining("sead");
    assertThatThrownBy(() -> parse(LAYERS, TRAINING.replace("metric: loss", "metric: f1")))
        .hasMessageContaining("early_stopping.metric: 'f1' (expected: accuracy or loss)");
    assertThatThrownBy(
            () ->
                TestSupport.spec(
                    TestSupport.imageSpec(LAYERS, TRAINING)
                        .replace("format_version: 1", "format_version: 9")))
        .hasMessageContaining("format_version 9 is newer than this Strata supports (1)")
        .extracting(e -> ((StrataException) e).code())
        .isEqualTo(ErrorCode.FAILED_PRECONDITION);
    assertThatThrownBy(() -> TrainingSpec.parse("name: [", true, "spec x.yaml"))
        .hasMessageContaining("spec x.yaml: not valid YAML");
    assertThatThrownBy(() -> TrainingSpec.read(Path.of("no-such-spec.yaml")))
        .hasMessageContaining("no-such-spec.yaml: no such file");
  }

  private static TrainingSpec parse(String layers, String training) {
    return TestSupport.spec(TestSupport.imageSpec(layers, training));
  }
}
