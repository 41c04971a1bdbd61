package dev.strata.compress.prune;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.SequentialBlock;
import dev.strata.core.StrataException;
import dev.strata.train.spec.LayerSpec;
import dev.strata.train.training.StepHook;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Unstructured magnitude pruning with the gradual schedule of Zhu and Gupta (2017): the sparsity of
 * the convolution and linear weights rises as {@code s_f * (1 - (1 - t / T)^3)} over the first
 * {@code T} optimizer steps, the masks recomputed from the weights' magnitudes {@code updates}
 * times along the way, then stays at {@code s_f} while fine-tuning goes on. After every step the
 * pruned weights are set back to zero, so the trained model is exactly as sparse as its masks.
 * Biases and batch-normalisation parameters are not pruned. {@code global}: one threshold over all
 * pruned weights; otherwise each layer is pruned to the sparsity by itself.
 */
public final class MagnitudePruning implements StepHook {
  private final List<Integer> layers = new ArrayList<>();
  private final double target;
  private final boolean global;
  private final long rampSteps;
  private final long every;
  private boolean[][] masks;
  private double current = -1;

  public MagnitudePruning(
      List<LayerSpec> spec, double target, boolean global, long rampSteps, int updates) {
    if (!(target > 0 && target < 1)) {
      throw StrataException.invalid("--sparsity %s (expected: 0 < s < 1)", target);
    }
    for (int i = 0; i < spec.size(); i++) {
      if (spec.get(i) instanceof LayerSpec.Conv2d || spec.get(i) instanceof LayerSpec.Linear) {
        layers.add(i);
      }
    }
    this.target = target;
    this.global = global;
    this.rampSteps = Math.max(1, rampSteps);
    this.every = Math.max(1, this.rampSteps / Math.max(1, updates));
  }

  /** The sparsity the schedule asks for after {@code step} steps. */
  public double sparsityAt(long step) {
    double t = Math.min(1.0, (double) step / rampSteps);
    return target * (1 - Math.pow(1 - t, 3));
  }

  @Override
  public void afterStep(SequentialBlock block, long step) {
    boolean update = step >= rampSteps ? current != target : step % every == 0;
    if (update || masks == null) {
      double s = step >= rampSteps ? target : sparsityAt(step);
      masks = masks(block, s);
      current = s;
    }
    for (int k = 0; k < layers.size(); k++) {
      NDArray w = weight(block, layers.get(k));
      float[] v = w.toFloatArray();
      boolean[] m = masks[k];
      boolean changed = false;
      for (int j = 0; j < v.length; j++) {
        if (!m[j] && v[j] != 0f) {
          v[j] = 0f;
          changed = true;
        }
      }
      if (changed) {
        w.set(FloatBuffer.wrap(v));
      }
    }
  }

  /** Masks (true = kept) that prune the smallest-magnitude fraction {@code s} of the weights. */
  private boolean[][] masks(SequentialBlock block, double s) {
    float[][] values = new float[layers.size()][];
    for (int k = 0; k < layers.size(); k++) {
      values[k] = weight(block, layers.get(k)).toFloatArray();
    }
    boolean[][] out = new boolean[layers.size()][];
    if (global) {
      int total = Arrays.stream(values).mapToInt(v -> v.length).sum();
      float[] all = new float[total];
      int o = 0;
      for (float[] v : values) {
        for (float x : v) {
          all[o++] = Math.abs(x);
        }
      }
      float threshold = threshold(all, s);
      for (int k = 0; k < values.length; k++) {
        out[k] = keep(values[k], threshold);
      }
    } else {
      for (int k = 0; k < values.length; k++) {
        float[] abs = new float[values[k].length];
        for (int j = 0; j < abs.length; j++) {
          abs[j] = Math.abs(values[k][j]);
        }
        out[k] = keep(values[k], threshold(abs, s));
      }
    }
    return out;
  }

  /** The magnitude at or below which a fraction {@code s} of {@code abs} lies (-1: none). */
  private static float threshold(float[] abs, double s) {
    int pruned = (int) Math.floor(s * abs.length);
    if (pruned == 0) {
      return -1f;
    }
    float[] sorted = abs.clone();
    Arrays.sort(sorted);
    return sorted[pruned - 1];
  }

  private static boolean[] keep(float[] v, float threshold) {
    boolean[] m = new boolean[v.length];
    for (int j = 0; j < v.length; j++) {
      m[j] = Math.abs(v[j]) > threshold;
    }
    return m;
  }

  private static NDArray weight(SequentialBlock block, int layer) {
    return block.getChildren().get(layer).getValue().getParameters().get("weight").getArray();
  }

  /** The fraction of zeros among the pruned layers' weights of {@code w}. */
  public static double sparsity(LayerWeights w) {
    long zeros = 0;
    long total = 0;
    for (int i = 0; i < w.layers().size(); i++) {
      LayerSpec l = w.layers().get(i);
      if (l instanceof LayerSpec.Conv2d || l instanceof LayerSpec.Linear) {
        for (float x : w.get(i, "weight").values()) {
          zeros += x == 0f ? 1 : 0;
          total++;
        }
      }
    }
    return total == 0 ? 0 : (double) zeros / total;
  }
}
