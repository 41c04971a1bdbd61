package dev.strata.compress.quantize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.strata.core.StrataException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StaticQuantizerTest {
  static final long[] SAMPLE = {1, 8, 8};

  static Calibration.Samples samples(int n, long seed) {
    return new Calibration.Samples(
        "input", SmallNets.gaussian(new Random(seed), n * 64, 1), SAMPLE, n);
  }

  /** Reduced range: the bounds below hold on every x86 CPU, with or without VNNI. */
  static StaticQuantizer.Options options(Calibration.Method m) {
    return new StaticQuantizer.Options(m, 99.99, true, Set.of(), true);
  }

  @Test
  void quantizedOutputsStayCloseToTheOriginal() throws Exception {
    ModelProto model = SmallNets.convBnNet(5);
    for (Calibration.Method m : Calibration.Method.values()) {
      StaticQuantizer.Result r = StaticQuantizer.quantize(model, samples(256, 1), options(m));
      assertThat(r.batchNormsFolded()).isEqualTo(1);
      float[] x = SmallNets.gaussian(new Random(77), 128 * 64, 1);
      long[] shape = {128, 1, 8, 8};
      float[][] a = SmallNets.run(model, "input", x, shape);
      float[][] b = SmallNets.run(r.model(), "input", x, shape);
      int agree = 0;
      double maxDiff = 0;
      for (int i = 0; i < a.length; i++) {
        agree += argmax(a[i]) == argmax(b[i]) ? 1 : 0;
        for (int k = 0; k < a[i].length; k++) {
          maxDiff = Math.max(maxDiff, Math.abs(a[i][k] - b[i][k]));
        }
      }
      assertThat(agree).as("top-1 agreement with %s", m).isGreaterThanOrEqualTo(120);
      assertThat(maxDiff).as("largest probability difference with %s", m).isLessThan(0.1);
    }
  }

  @Test
  void weightsAreStoredAsInt8AndOnnxRuntimeRunsIntegerKernels(@TempDir Path dir) throws Exception {
    ModelProto q =
        StaticQuantizer.quantize(
                SmallNets.convBnNet(5), samples(64, 1), options(Calibration.Method.MINMAX))
            .model();
    assertThat(q.getGraph().getInitializerList())
        .filteredOn(t -> t.getDimsCount() > 1)
        .allMatch(t -> t.getDataType() == TensorProto.DataType.INT8_VALUE);
    Path optimized = dir.resolve("optimized.onnx");
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setOptimizedModelFilePath(optimized.toString());
      OrtEnvironment.getEnvironment().createSession(q.toByteArray(), o).close();
    }
    ModelProto ran = ModelProto.parseFrom(Files.readAllBytes(optimized));
    assertThat(ran.getGraph().getNodeList())
        .extracting(NodeProto::getOpType)
        .contains("QLinearConv", "QGemm")
        .doesNotContain("Conv", "Gemm");
  }

  @Test
  void reducedRangeWeightsUseSevenBitsAndFullRangeEight() {
    for (boolean reduce : new boolean[] {true, false}) {
      ModelProto q =
          StaticQuantizer.quantize(
                  SmallNets.convBnNet(5),
                  samples(64, 1),
                  new StaticQuantizer.Options(
                      Calibration.Method.MINMAX, 99.99, true, Set.of(), reduce))
              .model();
      int largest = 0;
      for (TensorProto t : q.getGraph().getInitializerList()) {
        if (t.getDataType() == TensorProto.DataType.INT8_VALUE && t.getDimsCount() > 1) {
          for (byte b : t.getRawData().toByteArray()) {
            largest = Math.max(largest, Math.abs(b));
          }
        }
      }
      // symmetric per channel: each channel's largest weight maps to the end of the range
      assertThat(largest).as("reduce range %s", reduce).isEqualTo(reduce ? 63 : 127);
    }
  }

  @Test
  void excludedNodesStayInFloat() {
    ModelProto model = SmallNets.convBnNet(5);
    String gemm =
        model.getGraph().getNodeList().stream()
            .filter(n -> n.getOpType().equals("Gemm"))
            .findFirst()
            .orElseThrow()
            .getName();
    StaticQuantizer.Result r =
        StaticQuantizer.quantize(
            model,
            samples(64, 1),
            new StaticQuantizer.Options(Calibration.Method.MINMAX, 99.99, true, Set.of(gemm)));
    assertThat(r.quantizedNodes()).doesNotContain(gemm).isNotEmpty();
    assertThat(r.model().getGraph().getInitializerList())
        .anyMatch(t -> t.getName().equals("fc_w") && t.getDataType() == 1);
  }

  @Test
  void anUnknownExcludedNodeIsAnErrorNamingIt() {
    assertThatThrownBy(
            () ->
                StaticQuantizer.quantize(
                    SmallNets.convBnNet(5),
                    samples(8, 1),
                    new StaticQuantizer.Options(
                        Calibration.Method.MINMAX, 99.99, true, Set.of("no-such-node"))))
        .isInstanceOf(StrataException.class)
        .hasMessageContaining("no node named no-such-node");
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
