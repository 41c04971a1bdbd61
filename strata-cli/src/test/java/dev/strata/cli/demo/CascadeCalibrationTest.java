package dev.strata.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.control.ConfidenceMeasure;
import dev.strata.edge.calibrate.Calibration;
import org.junit.jupiter.api.Test;

class CascadeCalibrationTest {
  /** Ten examples scored 0.05 .. 0.95; the edge is wrong on the three least sure. */
  static Calibration tenExamples() {
    double[] scores = new double[10];
    boolean[] edge = new boolean[10];
    boolean[] cloud = new boolean[10];
    for (int i = 0; i < 10; i++) {
      scores[i] = 0.05 + 0.1 * i;
      edge[i] = i >= 3;
      cloud[i] = i != 0;
    }
    return Calibration.of(ConfidenceMeasure.MAX_PROBABILITY, scores, edge, cloud);
  }

  @Test
  void anEdgeShareIsTheConfidenceQuantileNotTheMostAccuratePoint() {
    Calibration cal = tenExamples();
    Calibration.Choice c = CascadeCalibration.atShare(cal, 0.8);
    assertThat(c.targetMet()).isTrue();
    assertThat(c.point().edgeShare()).isEqualTo(0.8);
    assertThat(c.point().threshold()).isCloseTo(0.2, org.assertj.core.api.Assertions.within(1e-9));
    // kept: 7 of 8 right; escalated: the cloud gets 1 of 2 right
    assertThat(c.point().accuracy()).isEqualTo(0.8);
    // strata calibrate's choice maximises accuracy instead: here it escalates more
    assertThat(cal.forEdgeShare(0.5).point().edgeShare()).isEqualTo(0.7);
    assertThat(CascadeCalibration.atShare(cal, 0.5).point().edgeShare()).isEqualTo(0.5);
    assertThat(CascadeCalibration.atShare(cal, 1.0).point().threshold()).isZero();
  }

  @Test
  void theSampledCurveRunsFromAllOnTheEdgeToNone() {
    Calibration cal = tenExamples();
    CascadeCalibration c =
        new CascadeCalibration(
            cal,
            CascadeCalibration.atShare(cal, 0.8).point(),
            true,
            new dev.strata.control.InferencePolicy.Cascade(
                ConfidenceMeasure.MAX_PROBABILITY, 0.2, java.util.Optional.of("big")),
            10);
    assertThat(c.sampledCurve(10))
        .extracting(p -> p.edgeShare())
        .containsExactly(1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0);
    assertThat(c.sampledCurve(2)).extracting(p -> p.edgeShare()).containsExactly(1.0, 0.5, 0.0);
  }
}
