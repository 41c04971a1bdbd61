package dev.strata.compress.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.strata.core.DataType;
import dev.strata.core.Shape;
import dev.strata.onnx.OnnxGraphBuilder;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CalibrationTest {
  /** Identity-like model: y = Relu(x), so calibration sees x and its positive part. */
  static ModelProto relu() {
    OnnxGraphBuilder b = OnnxGraphBuilder.create("relu");
    String x = b.input("x", DataType.FP32, List.of("n", 1000));
    b.node("Relu", List.of(x), Map.of(), "y");
    b.output("y", DataType.FP32, Shape.of(-1, 1000));
    return b.build();
  }

  /** Gaussian samples with a few large outliers. */
  static Calibration.Samples withOutliers() {
    Random r = new Random(4);
    float[] v = new float[64 * 1000];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    v[17] = 60;
    v[4242] = -45;
    return new Calibration.Samples("x", v, new long[] {1000}, 64);
  }

  @Test
  void minMaxTakesWhatWasSeenAndTheOthersCutTheOutliers() {
    Map<String, Calibration.Range> minmax = ranges(Calibration.Method.MINMAX);
    assertThat(minmax.get("x").max()).isEqualTo(60f);
    assertThat(minmax.get("x").min()).isEqualTo(-45f);
    assertThat(minmax.get("y").min()).isZero();
    for (Calibration.Method m :
        List.of(Calibration.Method.PERCENTILE, Calibration.Method.ENTROPY)) {
      Calibration.Range x = ranges(m).get("x");
      // a standard normal: the cut lies in its tails, far inside the outliers
      assertThat(x.max()).as("%s max", m).isBetween(2.5f, 8f);
      assertThat(x.min()).as("%s min", m).isBetween(-8f, -2.5f);
      assertThat(ranges(m).get("y").min()).as("%s keeps 0 in a ReLU's range", m).isZero();
    }
  }

  @Test
  void aRangeAlwaysContainsZero() {
    Int8.Activation a = Int8.Activation.of(new Calibration.Range(0, 6));
    assertThat(a.zeroPoint()).isZero();
    assertThat(a.scale()).isEqualTo(6f / 255);
    Int8.Activation s = Int8.Activation.of(new Calibration.Range(-1, 1));
    assertThat(s.zeroPoint()).isIn(127, 128);
  }

  private static Map<String, Calibration.Range> ranges(Calibration.Method m) {
    return Calibration.ranges(relu(), List.of("x", "y"), withOutliers(), m, 99.99);
  }
}
