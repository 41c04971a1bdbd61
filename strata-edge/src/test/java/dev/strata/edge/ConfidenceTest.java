package dev.strata.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.strata.control.ConfidenceMeasure;
import org.junit.jupiter.api.Test;

class ConfidenceTest {
  @Test
  void scores() {
    double[] p = {0.6, 0.3, 0.1};
    assertThat(Confidence.score(ConfidenceMeasure.MAX_PROBABILITY, p)).isEqualTo(0.6);
    assertThat(Confidence.score(ConfidenceMeasure.MARGIN, p)).isCloseTo(0.3, within(1e-12));
    double h = -(0.6 * Math.log(0.6) + 0.3 * Math.log(0.3) + 0.1 * Math.log(0.1));
    assertThat(Confidence.score(ConfidenceMeasure.ENTROPY, p))
        .isCloseTo(h / Math.log(3), within(1e-12));
    assertThat(Confidence.score(ConfidenceMeasure.ENTROPY, new double[] {1, 0, 0})).isZero();
    assertThat(Confidence.score(ConfidenceMeasure.ENTROPY, new double[] {0.5, 0.5})).isEqualTo(1);
    assertThat(Confidence.score(ConfidenceMeasure.MARGIN, new double[] {1})).isEqualTo(1);
  }

  @Test
  void escalationDirectionFollowsTheMeasure() {
    assertThat(Confidence.escalates(ConfidenceMeasure.MAX_PROBABILITY, 0.5, 0.6)).isTrue();
    assertThat(Confidence.escalates(ConfidenceMeasure.MAX_PROBABILITY, 0.6, 0.6)).isFalse();
    assertThat(Confidence.escalates(ConfidenceMeasure.ENTROPY, 0.7, 0.6)).isTrue();
    assertThat(Confidence.escalates(ConfidenceMeasure.ENTROPY, 0.5, 0.6)).isFalse();
    assertThat(Confidence.worst(ConfidenceMeasure.MARGIN, 0.2, 0.4)).isEqualTo(0.2);
    assertThat(Confidence.worst(ConfidenceMeasure.ENTROPY, 0.2, 0.4)).isEqualTo(0.4);
  }

  @Test
  void softmaxIsStableAndSumsToOne() {
    double[] p = Confidence.softmax(new double[] {1000, 1000, 0});
    assertThat(p[0]).isCloseTo(0.5, within(1e-12));
    assertThat(p[2]).isCloseTo(0, within(1e-12));
    assertThat(Confidence.isDistribution(new double[] {0.2f, 0.3f, 0.5f})).isTrue();
    assertThat(Confidence.isDistribution(new double[] {0.2, 0.2})).isFalse();
    assertThat(Confidence.isDistribution(new double[] {2, -1})).isFalse();
  }

  @Test
  void aSingleOutputIsABinaryClassifier() {
    ScoreSpec auto = new ScoreSpec("p", ScoreSpec.Kind.AUTO, true);
    assertThat(auto.distribution(new double[] {0.8})).containsExactly(0.19999999999999996, 0.8);
    assertThat(auto.distribution(new double[] {3})[1])
        .isCloseTo(Confidence.sigmoid(3), within(1e-12));
  }
}
