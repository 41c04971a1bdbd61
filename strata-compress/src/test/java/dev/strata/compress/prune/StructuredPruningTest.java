package dev.strata.compress.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.SequentialBlock;
import dev.strata.core.StrataException;
import dev.strata.train.spec.LayerSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class StructuredPruningTest {
  static final long[] SAMPLE = {2, 8, 8};

  /** conv-bn-relu-pool, conv-bn-relu, flatten, a hidden linear layer, the output layer. */
  static final List<LayerSpec> LAYERS =
      List.of(
          new LayerSpec.Conv2d(8, 3, 1, 1, false),
          new LayerSpec.BatchNorm(0, 0),
          new LayerSpec.Relu(),
          new LayerSpec.MaxPool(2, 0, 0),
          new LayerSpec.Conv2d(6, 3, 1, 1, true),
          new LayerSpec.BatchNorm(0, 0),
          new LayerSpec.Relu(),
          new LayerSpec.Flatten(),
          new LayerSpec.Linear(5, true),
          new LayerSpec.Relu(),
          new LayerSpec.Linear(3, true),
          new LayerSpec.Softmax());

  @Test
  void removingChannelsThatCarryNothingLeavesTheOutputsAsTheyWere() {
    try (NDManager m = Blocks.manager()) {
      SequentialBlock original = Blocks.block(m, LAYERS, SAMPLE);
      LayerWeights w = LayerWeights.fromBlock(original, LAYERS);
      // channels 0, 3, 5, 6 of the first conv and 1, 2, 4 of the second are silenced by their
      // batch norms (gamma = beta = 0), hidden units 0 and 3 by zero weights and bias: removing
      // exactly those must not change any output
      int[] dead1 = {0, 3, 5, 6};
      int[] dead5 = {1, 2, 4};
      int[] dead8 = {0, 3};
      for (int c : dead1) {
        w.get(1, "gamma").values()[c] = 0;
        w.get(1, "beta").values()[c] = 0;
      }
      for (int c : dead5) {
        w.get(5, "gamma").values()[c] = 0;
        w.get(5, "beta").values()[c] = 0;
      }
      int in8 = (int) w.get(8, "weight").dim(1);
      for (int u : dead8) {
        java.util.Arrays.fill(w.get(8, "weight").values(), u * in8, (u + 1) * in8, 0f);
        w.get(8, "bias").values()[u] = 0;
      }
      // running statistics away from their initial values, so that slicing them is tested
      float[] mean = w.get(1, "runningMean").values();
      float[] var = w.get(1, "runningVar").values();
      for (int c = 0; c < mean.length; c++) {
        mean[c] = 0.1f * c;
        var[c] = 1 + 0.2f * c;
      }
      w.loadInto(original);

      StructuredPruning.Result r = StructuredPruning.prune(w, SAMPLE, 0.5);
      assertThat(r.pruned()).extracting(StructuredPruning.Pruned::layer).containsExactly(0, 4, 8);
      assertThat(r.pruned().get(0).kept()).containsExactly(1, 2, 4, 7);
      assertThat(r.pruned().get(1).kept()).containsExactly(0, 3, 5);
      assertThat(r.pruned().get(2).kept()).containsExactly(1, 2, 4);
      assertThat(r.layers().get(0)).isEqualTo(new LayerSpec.Conv2d(4, 3, 1, 1, false));
      assertThat(r.layers().get(4)).isEqualTo(new LayerSpec.Conv2d(3, 3, 1, 1, true));
      assertThat(r.layers().get(8)).isEqualTo(new LayerSpec.Linear(3, true));
      assertThat(r.layers().get(10)).isEqualTo(LAYERS.get(10)); // the outputs are kept whole
      // the flattened 3 channels x 4 x 4 reach the hidden layer
      assertThat(r.weights().get(8, "weight").dims()).containsExactly(3, 48);

      SequentialBlock pruned = Blocks.block(m, r.layers(), SAMPLE);
      r.weights().loadInto(pruned);
      float[] x = Blocks.gaussian(3, 16 * 2 * 8 * 8);
      float[] a = Blocks.forward(m, original, x, SAMPLE, 16);
      float[] b = Blocks.forward(m, pruned, x, SAMPLE, 16);
      assertThat(b).hasSameSizeAs(a);
      for (int i = 0; i < a.length; i++) {
        assertThat(b[i])
            .as("output %d", i)
            .isCloseTo(a[i], org.assertj.core.data.Offset.offset(1e-5f));
      }
      // and the cut network computes far less
      long before = StructuredPruning.macs(LAYERS, SAMPLE);
      long after = StructuredPruning.macs(r.layers(), SAMPLE);
      assertThat(before).isEqualTo(8 * 64 * 2 * 9 + 6 * 16 * 8 * 9 + 96 * 5 + 5 * 3);
      assertThat(after).isEqualTo(4 * 64 * 2 * 9 + 3 * 16 * 4 * 9 + 48 * 3 + 3 * 3);
    }
  }

  @Test
  void theWeakestFoldedFiltersGo() {
    try (NDManager m = Blocks.manager()) {
      SequentialBlock b = Blocks.block(m, LAYERS, SAMPLE);
      LayerWeights w = LayerWeights.fromBlock(b, LAYERS);
      // filter 2 has the largest weights but its batch norm scales it to almost nothing
      float[] f = w.get(0, "weight").values();
      int per = f.length / 8;
      for (int j = 0; j < per; j++) {
        f[2 * per + j] *= 100;
      }
      w.get(1, "gamma").values()[2] = 1e-6f;
      StructuredPruning.Result r = StructuredPruning.prune(w, SAMPLE, 0.25);
      assertThat(r.pruned().get(0).kept()).hasSize(6).doesNotContain(2);
    }
  }

  @Test
  void aSparsityOutsideZeroToOneIsRefused() {
    try (NDManager m = Blocks.manager()) {
      LayerWeights w = LayerWeights.fromBlock(Blocks.block(m, LAYERS, SAMPLE), LAYERS);
      assertThatThrownBy(() -> StructuredPruning.prune(w, SAMPLE, 1.0))
          .isInstanceOf(StrataException.class)
          .hasMessageContaining("expected: 0 < s < 1");
    }
  }
}
