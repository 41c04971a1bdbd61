package dev.strata.edge.calibrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.strata.control.ConfidenceMeasure;
import org.junit.jupiter.api.Test;

/** A ten-example set whose right thresholds were worked out by hand. */
class CalibrationTest {
  static final double[] SCORES = {0.95, 0.9, 0.8, 0.7, 0.6, 0.55, 0.5, 0.4, 0.35, 0.3};
  static final boolean[] EDGE = {true, true, true, true, false, true, false, false, false, false};
  static final boolean[] CLOUD = {true, true, true, true, true, true, true, true, true, false};

  final Calibration cal = Calibration.of(ConfidenceMeasure.MAX_PROBABILITY, SCORES, EDGE, CLOUD);

  @Test
  void theCurveRunsFromAllEdgeToAllCloud() {
    assertThat(cal.edgeAccuracy()).isEqualTo(0.5);
    assertThat(cal.cloudAccuracy()).isEqualTo(0.9);
    assertThat(cal.curve()).hasSize(SCORES.length + 1);
    CurvePoint allEdge = cal.curve().getFirst();
    assertThat(allEdge.edgeShare()).isEqualTo(1.0);
    assertThat(allEdge.accuracy()).isEqualTo(0.5);
    CurvePoint allCloud = cal.curve().getLast();
    assertThat(allCloud.edgeShare()).isEqualTo(0.0);
    assertThat(allCloud.accuracy()).isEqualTo(0.9);
    assertThat(allCloud.cloudCalls()).isEqualTo(10);
  }

  @Test
  void aTargetEdgeSharePicksTheMostAccurateThresholdKeepingIt() {
    // share >= 0.5: escalating the 4 or 5 least sure both give 80%; the larger share wins
    Calibration.Choice c = cal.forEdgeShare(0.5);
    assertThat(c.targetMet()).isTrue();
    assertThat(c.point().threshold()).isCloseTo(0.525, within(1e-12));
    assertThat(c.point().edgeShare()).isEqualTo(0.6);
    assertThat(c.point().accuracy()).isEqualTo(0.8);
    assertThat(c.point().cloudCalls()).isEqualTo(4);
  }

  @Test
  void aTargetAccuracyPicksTheLargestEdgeShareReachingIt() {
    Calibration.Choice c = cal.forAccuracy(0.9);
    assertThat(c.targetMet()).isTrue();
    assertThat(c.point().threshold()).isCloseTo(0.65, within(1e-12));
    assertThat(c.point().edgeShare()).isEqualTo(0.4);
  }

  @Test
  void anAccuracyNoThresholdReachesIsReportedAsMissed() {
    Calibration.Choice c = cal.forAccuracy(0.95);
    assertThat(c.targetMet()).isFalse();
    assertThat(c.point().accuracy()).isEqualTo(0.9);
    assertThat(c.point().edgeShare()).isEqualTo(0.4);
  }

  @Test
  void entropyEscalatesTheHighScores() {
    double[] entropy = new double[SCORES.length];
    for (int i = 0; i < entropy.length; i++) {
      entropy[i] = 1 - SCORES[i]; // the same order of confidence, reversed
    }
    Calibration e = Calibration.of(ConfidenceMeasure.ENTROPY, entropy, EDGE, CLOUD);
    Calibration.Choice c = e.forAccuracy(0.9);
    assertThat(c.point().threshold()).isCloseTo(0.35, within(1e-12));
    assertThat(c.point().edgeShare()).isEqualTo(0.4);
    assertThat(e.forEdgeShare(0.5).point().edgeShare()).isEqualTo(0.6);
  }

  @Test
  void tiedScoresMoveTogether() {
    Calibration t =
        Calibration.of(
            ConfidenceMeasure.MAX_PROBABILITY,
            new double[] {0.5, 0.5, 0.9},
            new boolean[] {false, false, true},
            new boolean[] {true, true, true});
    assertThat(t.curve()).extracting(CurvePoint::cloudCalls).containsExactly(0, 2, 3);
    assertThat(t.forAccuracy(1.0).point().edgeShare()).isCloseTo(1.0 / 3, within(1e-12));
  }

  @Test
  void qualitiesInPlaceOfRightAndWrongAndAThresholdCheckedOnOtherData() {
    double[] edge = {0.5, 1, 0.25, 0};
    double[] cloud = {1, 1, 0.75, 0.5};
    Calibration q =
        Calibration.ofQuality(
            ConfidenceMeasure.AGREEMENT, new double[] {0.4, 0.9, 0.1, 0.05}, edge, cloud);
    assertThat(q.edgeAccuracy()).isEqualTo(0.4375);
    assertThat(q.cloudAccuracy()).isEqualTo(0.8125);
    // at 0.2 the two lowest scores (0.1, 0.05) escalate: 0.5 + 1 + 0.75 + 0.5
    CurvePoint at = q.at(0.2);
    assertThat(at.edgeShare()).isEqualTo(0.5);
    assertThat(at.cloudCalls()).isEqualTo(2);
    assertThat(at.accuracy()).isEqualTo(0.6875);
    assertThat(q.forAccuracy(0.8125).point().edgeShare()).isEqualTo(0.25);
    assertThat(q.at(0).edgeShare()).isEqualTo(1.0);
  }
}
