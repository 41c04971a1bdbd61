package dev.strata.train.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.strata.train.engine.DjlEngines;
import dev.strata.train.spec.TrainingOptions;
import org.junit.jupiter.api.Test;

class LossesTest {
  static final TrainingOptions.Loss CE = new TrainingOptions.Loss.SoftmaxCrossEntropy(0);

  @Test
  void distillationIsTheWeightedSumOfTheLabelsLossAndTheScaledKl() {
    try (NDManager m = DjlEngines.pytorch(dev.strata.train.TestSupport.CONFIG).newBaseManager()) {
      float[] s = {1f, 2f, 0.5f, -1f, 0f, 3f};
      float[] t = {2f, 0f, 1f, 0.5f, 0.5f, 0.5f};
      NDArray student = m.create(s, new Shape(2, 3));
      NDArray teacher = m.create(t, new Shape(2, 3));
      NDArray y = m.create(new long[] {1, 2});
      double temperature = 2;
      double alpha = 0.3;
      double ce = Losses.loss(CE, student, y).getFloat();
      // by hand: the mean over the batch of sum_c p_t (log p_t - log p_s) at temperature 2
      double kl = 0;
      for (int i = 0; i < 2; i++) {
        double[] ps = softmax(s, i * 3, temperature);
        double[] pt = softmax(t, i * 3, temperature);
        for (int c = 0; c < 3; c++) {
          kl += pt[c] * (Math.log(pt[c]) - Math.log(ps[c])) / 2;
        }
      }
      double expected = alpha * ce + (1 - alpha) * temperature * temperature * kl;
      assertThat(
              (double) Losses.distillation(CE, student, y, teacher, temperature, alpha).getFloat())
          .isCloseTo(expected, within(1e-5));
      // alpha 1 is the labels' loss alone; a teacher equal to the student adds nothing
      assertThat((double) Losses.distillation(CE, student, y, teacher, 4, 1).getFloat())
          .isCloseTo(ce, within(1e-6));
      assertThat((double) Losses.distillation(CE, student, y, student, 4, 0).getFloat())
          .isCloseTo(0, within(1e-6));
    }
  }

  private static double[] softmax(float[] z, int from, double t) {
    double[] e = new double[3];
    double sum = 0;
    for (int c = 0; c < 3; c++) {
      e[c] = Math.exp(z[from + c] / t);
      sum += e[c];
    }
    for (int c = 0; c < 3; c++) {
      e[c] /= sum;
    }
    return e;
  }
}
