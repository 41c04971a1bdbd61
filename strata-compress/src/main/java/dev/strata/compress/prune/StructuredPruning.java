package dev.strata.compress.prune;

import dev.strata.compress.prune.LayerWeights.Tensor;
import dev.strata.core.StrataException;
import dev.strata.train.model.Networks;
import dev.strata.train.spec.LayerSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Removes whole convolution filters and hidden linear units with the lowest L1 norm (of the filter
 * as the following batch normalisation scales it: {@code |gamma| / sqrt(var + eps)}, i.e. the norm
 * of the folded filter), together with their batch-normalisation channels and the matching input
 * channels (or flattened columns) of the layer that consumes them. The result is a smaller dense
 * network of the same layer types: it computes fewer FLOPs rather than skipping zeros. Layers whose
 * outputs are the model's outputs are kept whole.
 */
public final class StructuredPruning {
  private StructuredPruning() {}

  /** One pruned layer: how many filters or units it had and which it keeps. */
  public record Pruned(int layer, String type, int before, int[] kept) {}

  public record Result(LayerWeights weights, List<Pruned> pruned) {
    public List<LayerSpec> layers() {
      return weights.layers();
    }
  }

  /**
   * Prunes {@code ratio} of the filters/units of every prunable layer.
   *
   * @param sample one sample's shape ({@code [C, H, W]} or {@code [F]})
   */
  public static Result prune(LayerWeights weights, long[] sample, double ratio) {
    if (!(ratio > 0 && ratio < 1)) {
      throw StrataException.invalid("--sparsity %s (expected: 0 < s < 1)", ratio);
    }
    List<LayerSpec> layers = new ArrayList<>(weights.layers());
    List<long[]> shapes = Networks.shapes(layers, sample);
    LayerWeights w = weights;
    List<Pruned> pruned = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      LayerSpec l = layers.get(i);
      if (!(l instanceof LayerSpec.Conv2d) && !(l instanceof LayerSpec.Linear)) {
        continue;
      }
      Consumer c = consumer(layers, shapes, i);
      if (c == null) {
        continue; // its outputs are the model's
      }
      Tensor weight = w.get(i, "weight");
      int n = (int) weight.dim(0);
      int keep = Math.max(1, (int) Math.round(n * (1 - ratio)));
      if (keep == n) {
        continue;
      }
      int[] kept = strongest(weight, c.batchNorm < 0 ? null : w, c.batchNorm, keep);
      LayerSpec smaller =
          switch (l) {
            case LayerSpec.Conv2d conv ->
                new LayerSpec.Conv2d(
                    keep, conv.kernel(), conv.stride(), conv.padding(), conv.bias());
            case LayerSpec.Linear lin -> new LayerSpec.Linear(keep, lin.bias());
            default -> throw new IllegalStateException();
          };
      layers.set(i, smaller);
      w = w.with(layers, i, "weight", weight.keep(0, kept));
      if (w.has(i, "bias")) {
        w = w.with(layers, i, "bias", w.get(i, "bias").keep(0, kept));
      }
      if (c.batchNorm >= 0) {
        for (String p : LayerWeights.parameterNames(layers.get(c.batchNorm))) {
          w = w.with(layers, c.batchNorm, p, w.get(c.batchNorm, p).keep(0, kept));
        }
      }
      int[] columns = kept;
      if (c.spatial > 1) {
        columns =
            Arrays.stream(kept)
                .flatMap(k -> IntStream.range(k * c.spatial, (k + 1) * c.spatial))
                .toArray();
      }
      w = w.with(layers, c.layer, "weight", w.get(c.layer, "weight").keep(1, columns));
      pruned.add(new Pruned(i, Networks.name(l), n, kept));
    }
    // the shapes must still check out
    Networks.shapes(w.layers(), sample);
    return new Result(w, pruned);
  }

  /** The layer reading layer i's channels, its batch norm on the way, and the flatten width. */
  private record Consumer(int layer, int batchNorm, int spatial) {}

  private static Consumer consumer(List<LayerSpec> layers, List<long[]> shapes, int i) {
    int bn = -1;
    int spatial = 1;
    for (int k = i + 1; k < layers.size(); k++) {
      switch (layers.get(k)) {
        case LayerSpec.BatchNorm b -> {
          if (bn >= 0) {
            return null; // two in a row: not a pattern exported models have
          }
          bn = k;
        }
        case LayerSpec.Relu r -> {}
        case LayerSpec.Gelu g -> {}
        case LayerSpec.Sigmoid s -> {}
        case LayerSpec.Tanh t -> {}
        case LayerSpec.MaxPool p -> {}
        case LayerSpec.AvgPool p -> {}
        case LayerSpec.Dropout d -> {}
        case LayerSpec.GlobalAvgPool g -> {}
        case LayerSpec.Flatten f -> {
          long[] s = shapes.get(k - 1);
          long sp = 1;
          for (int a = 1; a < s.length; a++) {
            sp *= s[a];
          }
          spatial = (int) sp;
        }
        case LayerSpec.Conv2d c -> {
          return new Consumer(k, bn, spatial);
        }
        case LayerSpec.Linear lin -> {
          return new Consumer(k, bn, spatial);
        }
        case LayerSpec.Softmax s -> {
          return null;
        }
        case LayerSpec.Residual r -> {
          return null; // its input also reaches its sum: those channels are tied
        }
      }
    }
    return null;
  }

  /** The indices of the {@code keep} output channels with the largest folded L1 norm, sorted. */
  private static int[] strongest(Tensor weight, LayerWeights w, int bn, int keep) {
    int n = (int) weight.dim(0);
    int per = weight.values().length / n;
    double[] score = new double[n];
    for (int f = 0; f < n; f++) {
      double s = 0;
      for (int j = 0; j < per; j++) {
        s += Math.abs(weight.values()[f * per + j]);
      }
      score[f] = s;
    }
    if (w != null) {
      LayerSpec.BatchNorm spec = (LayerSpec.BatchNorm) w.layers().get(bn);
      float[] gamma = w.get(bn, "gamma").values();
      float[] var = w.get(bn, "runningVar").values();
      for (int f = 0; f < n; f++) {
        score[f] *= Math.abs(gamma[f]) / Math.sqrt(var[f] + spec.epsilon());
      }
    }
    return IntStream.range(0, n)
        .boxed()
        .sorted(Comparator.comparingDouble((Integer f) -> -score[f]).thenComparing(f -> f))
        .limit(keep)
        .mapToInt(Integer::intValue)
        .sorted()
        .toArray();
  }

  /** Multiply-accumulates of one sample through these layers (convolutions and linear layers). */
  public static long macs(List<LayerSpec> layers, long[] sample) {
    List<long[]> shapes = Networks.shapes(layers, sample);
    long total = 0;
    for (int i = 0; i < layers.size(); i++) {
      long[] in = i == 0 ? sample : shapes.get(i - 1);
      long[] out = shapes.get(i);
      total +=
          switch (layers.get(i)) {
            case LayerSpec.Conv2d c -> out[0] * out[1] * out[2] * in[0] * c.kernel() * c.kernel();
            case LayerSpec.Linear lin -> in[0] * lin.units();
            case LayerSpec.Residual r -> {
              long hw = out[1] * out[2];
              yield hw * r.filters() * (in[0] * 9 + r.filters() * 9L)
                  + (Networks.projects(r, in) ? hw * r.filters() * in[0] : 0);
            }
            default -> 0;
          };
    }
    return total;
  }
}
