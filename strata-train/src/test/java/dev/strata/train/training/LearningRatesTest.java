package dev.strata.train.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.strata.train.spec.TrainingOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LearningRatesTest {
  private static TrainingOptions options(TrainingOptions.Schedule s) {
    return new TrainingOptions(
        4, 10, 1, null, new TrainingOptions.Optimizer.Sgd(0.1, 0, 0), s, null);
  }

  @Test
  void warmUpThenCosineDecayToTheMinimum() {
    LearningRates lr =
        new LearningRates(options(new TrainingOptions.Schedule.Cosine(0.001, 1)), 10);
    assertThat(lr.at(0)).isCloseTo(0.01f, within(1e-7f)); // 1/10 of the rate
    assertThat(lr.at(9)).isCloseTo(0.1f, within(1e-7f));
    assertThat(lr.at(10)).isCloseTo(0.1f, within(1e-7f)); // cosine starts at the full rate
    assertThat(lr.at(25)).isCloseTo((float) (0.001 + 0.099 * 0.5), within(1e-6f)); // half way
    assertThat(lr.at(40)).isCloseTo(0.001f, within(1e-7f));
  }

  @Test
  void stepDecayAndConstant() {
    LearningRates step =
        new LearningRates(options(new TrainingOptions.Schedule.StepDecay(2, 0.5, 0)), 10);
    assertThat(step.at(0)).isEqualTo(0.1f);
    assertThat(step.at(19)).isEqualTo(0.1f);
    assertThat(step.at(20)).isEqualTo(0.05f);
    LearningRates constant =
        new LearningRates(options(new TrainingOptions.Schedule.Constant(0)), 10);
    assertThat(constant.at(33)).isEqualTo(0.1f);
  }

  @Test
  void progressBarShowsEpochStepLossAccuracyThroughputAndEta() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), true);
    bar.onStep(2, 5, 10, 10, 0.5, 0.75, 1234, 75);
    bar.onEpoch(new EpochStats(2, 0.5, 0.75, 0.6, 0.7, 1e-3, 12.5, 1234));
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertThat(out)
        .contains("epoch 2/5")
        .contains("10/10")
        .contains("loss 0.5000")
        .contains("acc 0.7500")
        .contains("1,234 img/s")
        .contains("ETA 1:15")
        .contains("val loss 0.6000 acc 0.7000");
  }
}
