package dev.strata.train.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class MetricsTest {
  /** One-hot "scores" for hard predictions. */
  private static float[][] predict(int classes, int... predicted) {
    float[][] s = new float[predicted.length][classes];
    for (int i = 0; i < predicted.length; i++) {
      s[i][predicted[i]] = 1;
    }
    return s;
  }

  @Test
  void classificationMetricsMatchAHandComputedCase() {
    // true:      0 0 0 1 1 2
    // predicted: 0 0 1 1 2 2
    int[] y = {0, 0, 0, 1, 1, 2};
    ClassificationMetrics m =
        ClassificationMetrics.compute(y, predict(3, 0, 0, 1, 1, 2, 2), List.of("a", "b", "c"));
    assertThat(m.accuracy()).isCloseTo(4.0 / 6, within(1e-12));
    assertThat(m.confusion()).isDeepEqualTo(new long[][] {{2, 1, 0}, {0, 1, 1}, {0, 0, 1}});
    // class a: P 2/2, R 2/3; b: P 1/2, R 1/2; c: P 1/2, R 1
    var a = m.perClass().get(0);
    var b = m.perClass().get(1);
    var c = m.perClass().get(2);
    assertThat(a.precision()).isEqualTo(1.0);
    assertThat(a.recall()).isCloseTo(2.0 / 3, within(1e-12));
    assertThat(a.f1()).isCloseTo(0.8, within(1e-12));
    assertThat(b.f1()).isCloseTo(0.5, within(1e-12));
    assertThat(c.f1()).isCloseTo(2.0 / 3, within(1e-12));
    assertThat(m.macro().f1()).isCloseTo((0.8 + 0.5 + 2.0 / 3) / 3, within(1e-12));
    assertThat(m.weighted().f1()).isCloseTo((0.8 * 3 + 0.5 * 2 + 2.0 / 3) / 6, within(1e-12));
    assertThat(m.macro().precision()).isCloseTo((1 + 0.5 + 0.5) / 3, within(1e-12));
    assertThat(m.rocAuc()).isEmpty();
    assertThat(a.support()).isEqualTo(3);
  }

  @Test
  void topKCountsTheTrueClassAmongTheBestK() {
    float[][] s = {{0.5f, 0.3f, 0.2f}, {0.1f, 0.2f, 0.7f}, {0.3f, 0.3f, 0.4f}};
    int[] y = {1, 0, 2};
    assertThat(ClassificationMetrics.topK(y, s, 1)).isCloseTo(1.0 / 3, within(1e-12));
    assertThat(ClassificationMetrics.topK(y, s, 2)).isCloseTo(2.0 / 3, within(1e-12));
    assertThat(ClassificationMetrics.topK(y, s, 3)).isEqualTo(1.0);
    ClassificationMetrics m = ClassificationMetrics.compute(y, s, List.of("a", "b", "c"));
    assertThat(m.topK()).hasSize(3);
  }

  @Test
  void rocAucIsTheProbabilityAPositiveOutranksANegative() {
    // positive-class margins: pos 0.9, 0.4; neg 0.5, 0.1 -> pairs (0.9>0.5,0.9>0.1,0.4<0.5,0.4>0.1)
    float[][] s = {{0, 0.9f}, {0, 0.4f}, {0, 0.5f}, {0, 0.1f}};
    int[] y = {1, 1, 0, 0};
    assertThat(ClassificationMetrics.rocAuc(y, s)).isCloseTo(0.75, within(1e-12));
    float[][] tie = {{0, 0.5f}, {0, 0.5f}};
    assertThat(ClassificationMetrics.rocAuc(new int[] {1, 0}, tie)).isEqualTo(0.5);
    assertThat(ClassificationMetrics.compute(y, s, List.of("n", "p")).rocAuc()).contains(0.75);
  }

  @Test
  void regressionMetricsMatchAHandComputedCase() {
    RegressionMetrics m =
        RegressionMetrics.compute(new float[] {1, 2, 3, 4}, new float[] {1, 3, 2, 4});
    assertThat(m.mae()).isCloseTo(0.5, within(1e-12));
    assertThat(m.rmse()).isCloseTo(Math.sqrt(0.5), within(1e-12));
    assertThat(m.r2()).isCloseTo(1 - 2 / 5.0, within(1e-12)); // SSE 2, SST 5
  }

  @Test
  void bootstrapIntervalContainsTheEstimateAndIsSeeded() {
    boolean[] correct = new boolean[200];
    for (int i = 0; i < 150; i++) {
      correct[i] = true;
    }
    Bootstrap.Interval ci =
        Bootstrap.interval(200, idx -> Bootstrap.accuracy(correct, idx), 0.95, 500, 3);
    assertThat(ci.estimate()).isEqualTo(0.75);
    assertThat(ci.lower()).isBetween(0.66, 0.75);
    assertThat(ci.upper()).isBetween(0.75, 0.84);
    assertThat(Bootstrap.interval(200, idx -> Bootstrap.accuracy(correct, idx), 0.95, 500, 3))
        .isEqualTo(ci);
  }

  @Test
  void kFoldCoversEverySampleOnceAndKeepsClassShares() throws Exception {
    int[] strata = IntStream.range(0, 100).map(i -> i % 4 == 0 ? 1 : 0).toArray();
    List<int[]> folds = CrossValidation.folds(strata, 5, 1);
    assertThat(folds).hasSize(5);
    int[] all = folds.stream().flatMapToInt(Arrays::stream).sorted().toArray();
    assertThat(all).containsExactly(IntStream.range(0, 100).toArray());
    for (int[] f : folds) {
      assertThat(f).hasSize(20);
      assertThat(Arrays.stream(f).filter(i -> strata[i] == 1).count()).isEqualTo(5);
    }
    CrossValidation.Result r =
        CrossValidation.run("size", strata, 4, 1, (train, test) -> train.length + test.length);
    assertThat(r.scores()).containsOnly(100.0);
    assertThat(r.mean()).isEqualTo(100.0);
    assertThat(r.std()).isZero();
  }
}
