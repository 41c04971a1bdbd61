package dev.strata.compress.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.SequentialBlock;
import java.nio.FloatBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class MagnitudePruningTest {
  static final List<dev.strata.train.spec.LayerSpec> LAYERS = StructuredPruningTest.LAYERS;
  static final long[] SAMPLE = StructuredPruningTest.SAMPLE;

  @Test
  void theScheduleRisesCubicallyToTheTarget() {
    MagnitudePruning p = new MagnitudePruning(LAYERS, 0.9, true, 100, 10);
    assertThat(p.sparsityAt(0)).isZero();
    assertThat(p.sparsityAt(50)).isCloseTo(0.9 * (1 - 0.125), within(1e-12));
    assertThat(p.sparsityAt(100)).isCloseTo(0.9, within(1e-12));
    assertThat(p.sparsityAt(1000)).isCloseTo(0.9, within(1e-12));
  }

  @Test
  void perLayerEveryLayerReachesTheSparsityAndPrunedWeightsStayZero() {
    try (NDManager m = Blocks.manager()) {
      SequentialBlock b = Blocks.block(m, LAYERS, SAMPLE);
      MagnitudePruning p = new MagnitudePruning(LAYERS, 0.5, false, 10, 5);
      p.afterStep(b, 0);
      assertThat(MagnitudePruning.sparsity(LayerWeights.fromBlock(b, LAYERS))).isZero();
      p.afterStep(b, 10);
      LayerWeights w = LayerWeights.fromBlock(b, LAYERS);
      for (int layer : new int[] {0, 4, 8, 10}) {
        float[] v = w.get(layer, "weight").values();
        long zeros = 0;
        for (float x : v) {
          zeros += x == 0 ? 1 : 0;
        }
        assertThat(zeros).as("layer %d", layer).isEqualTo(v.length / 2);
      }
      // the optimizer moves every weight; the next step puts the pruned ones back to zero
      boolean[] zero = zeros(w.get(4, "weight").values());
      NDArray conv = b.getChildren().get(4).getValue().getParameters().get("weight").getArray();
      conv.set(FloatBuffer.wrap(Blocks.gaussian(5, (int) conv.size())));
      p.afterStep(b, 11);
      assertThat(zeros(conv.toFloatArray())).isEqualTo(zero);
    }
  }

  @Test
  void globalOneThresholdOverAllLayers() {
    try (NDManager m = Blocks.manager()) {
      SequentialBlock b = Blocks.block(m, LAYERS, SAMPLE);
      LayerWeights before = LayerWeights.fromBlock(b, LAYERS);
      new MagnitudePruning(LAYERS, 0.8, true, 1, 1).afterStep(b, 1);
      LayerWeights after = LayerWeights.fromBlock(b, LAYERS);
      assertThat(MagnitudePruning.sparsity(after)).isCloseTo(0.8, within(0.002));
      // every surviving weight is at least as large as every pruned one
      float smallestKept = Float.MAX_VALUE;
      float largestPruned = 0;
      for (int layer : new int[] {0, 4, 8, 10}) {
        float[] was = before.get(layer, "weight").values();
        float[] now = after.get(layer, "weight").values();
        for (int i = 0; i < was.length; i++) {
          if (now[i] == 0) {
            largestPruned = Math.max(largestPruned, Math.abs(was[i]));
          } else {
            assertThat(now[i]).isEqualTo(was[i]);
            smallestKept = Math.min(smallestKept, Math.abs(was[i]));
          }
        }
      }
      assertThat(smallestKept).isGreaterThanOrEqualTo(largestPruned);
    }
  }

  private static boolean[] zeros(float[] v) {
    boolean[] z = new boolean[v.length];
    for (int i = 0; i < v.length; i++) {
      z[i] = v[i] == 0;
    }
    return z;
  }
}
