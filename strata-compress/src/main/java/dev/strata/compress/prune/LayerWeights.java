package dev.strata.compress.prune;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.strata.core.StrataException;
import dev.strata.onnx.Initializers;
import dev.strata.train.spec.LayerSpec;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The weights of a declared network, layer by layer, under DJL's parameter names ({@code weight},
 * {@code bias}; {@code gamma}, {@code beta}, {@code runningMean}, {@code runningVar} for batch
 * normalisation). Read from a DJL block or from the ONNX file {@code strata train} exported (whose
 * initializers are named {@code l<i>_weight}, {@code l<i>_scale}, ...), and loaded into a block of
 * the same layers.
 */
public final class LayerWeights {
  /** One parameter's values in row-major order. */
  public record Tensor(long[] dims, float[] values) {
    public Tensor {
      if (Initializers.size(dims) != values.length) {
        throw new IllegalArgumentException(
            Arrays.toString(dims) + " does not hold " + values.length + " values");
      }
    }

    public long dim(int axis) {
      return dims[axis];
    }

    /** The entries whose index along {@code axis} is in {@code keep}, in that order. */
    public Tensor keep(int axis, int[] keep) {
      long[] d = dims.clone();
      d[axis] = keep.length;
      int outer = 1;
      for (int i = 0; i < axis; i++) {
        outer *= (int) dims[i];
      }
      int inner = 1;
      for (int i = axis + 1; i < dims.length; i++) {
        inner *= (int) dims[i];
      }
      int n = (int) dims[axis];
      float[] out = new float[outer * keep.length * inner];
      int o = 0;
      for (int a = 0; a < outer; a++) {
        for (int k : keep) {
          System.arraycopy(values, (a * n + k) * inner, out, o, inner);
          o += inner;
        }
      }
      return new Tensor(d, out);
    }
  }

  private static final Map<String, String> ONNX_NAMES =
      Map.of(
          "weight", "weight",
          "bias", "bias",
          "gamma", "scale",
          "beta", "bias",
          "runningMean", "mean",
          "runningVar", "var");

  private final List<LayerSpec> layers;
  private final Map<Integer, Map<String, Tensor>> byLayer;

  public LayerWeights(List<LayerSpec> layers, Map<Integer, Map<String, Tensor>> byLayer) {
    if (layers.stream().anyMatch(l -> l instanceof LayerSpec.Residual)) {
      throw StrataException.invalid(
          "the network has residual blocks, which pruning does not handle yet (their input and"
              + " output channels are tied by the sum)");
    }
    this.layers = List.copyOf(layers);
    Map<Integer, Map<String, Tensor>> copy = new LinkedHashMap<>();
    byLayer.forEach((k, v) -> copy.put(k, new LinkedHashMap<>(v)));
    this.byLayer = copy;
  }

  public List<LayerSpec> layers() {
    return layers;
  }

  /** The parameter names a layer has (empty for layers without weights). */
  public static List<String> parameterNames(LayerSpec l) {
    return switch (l) {
      case LayerSpec.Linear lin -> lin.bias() ? List.of("weight", "bias") : List.of("weight");
      case LayerSpec.Conv2d c -> c.bias() ? List.of("weight", "bias") : List.of("weight");
      case LayerSpec.BatchNorm b -> List.of("gamma", "beta", "runningMean", "runningVar");
      default -> List.of();
    };
  }

  public Tensor get(int layer, String name) {
    Tensor t = byLayer.getOrDefault(layer, Map.of()).get(name);
    if (t == null) {
      throw StrataException.invalid("layer %d has no parameter '%s'", layer, name);
    }
    return t;
  }

  public boolean has(int layer, String name) {
    return byLayer.getOrDefault(layer, Map.of()).containsKey(name);
  }

  /** A copy where {@code layer}'s {@code name} is {@code t} and the layers are {@code layers}. */
  LayerWeights with(List<LayerSpec> newLayers, int layer, String name, Tensor t) {
    LayerWeights w = new LayerWeights(newLayers, byLayer);
    w.byLayer.computeIfAbsent(layer, k -> new LinkedHashMap<>()).put(name, t);
    return w;
  }

  /** The weights of a Strata-exported ONNX model of these layers. */
  public static LayerWeights fromOnnx(ModelProto model, List<LayerSpec> layers) {
    Map<String, TensorProto> inits = new LinkedHashMap<>();
    model.getGraph().getInitializerList().forEach(t -> inits.put(t.getName(), t));
    Map<Integer, Map<String, Tensor>> out = new LinkedHashMap<>();
    for (int i = 0; i < layers.size(); i++) {
      for (String p : parameterNames(layers.get(i))) {
        String onnx = "l" + i + "_" + ONNX_NAMES.get(p);
        TensorProto t = inits.get(onnx);
        if (t == null) {
          throw StrataException.invalid(
              "the model has no initializer '%s' for layer %d's %s (expected: a model exported by"
                  + " strata train from the spec in its provenance)",
              onnx, i, p);
        }
        out.computeIfAbsent(i, k -> new LinkedHashMap<>())
            .put(p, new Tensor(Initializers.dims(t), Initializers.floats(t)));
      }
    }
    return new LayerWeights(layers, out);
  }

  /** The weights of a trained block (child i = layer i). */
  public static LayerWeights fromBlock(SequentialBlock block, List<LayerSpec> layers) {
    Map<Integer, Map<String, Tensor>> out = new LinkedHashMap<>();
    for (int i = 0; i < layers.size(); i++) {
      List<String> names = parameterNames(layers.get(i));
      if (names.isEmpty()) {
        continue;
      }
      Block b = block.getChildren().get(i).getValue();
      for (String p : names) {
        NDArray a = b.getParameters().get(p).getArray();
        out.computeIfAbsent(i, k -> new LinkedHashMap<>())
            .put(p, new Tensor(a.getShape().getShape(), a.toFloatArray()));
      }
    }
    return new LayerWeights(layers, out);
  }

  /** Sets an initialised block's parameters (child i = layer i) to these weights. */
  public void loadInto(SequentialBlock block) {
    for (Map.Entry<Integer, Map<String, Tensor>> e : byLayer.entrySet()) {
      Block b = block.getChildren().get(e.getKey()).getValue();
      for (Map.Entry<String, Tensor> p : e.getValue().entrySet()) {
        NDArray a = b.getParameters().get(p.getKey()).getArray();
        long[] shape = a.getShape().getShape();
        if (!Arrays.equals(shape, p.getValue().dims())) {
          throw StrataException.invalid(
              "layer %d's %s is %s (expected: %s, as the network declares)",
              e.getKey(), p.getKey(), Arrays.toString(p.getValue().dims()), Arrays.toString(shape));
        }
        a.set(FloatBuffer.wrap(p.getValue().values()));
      }
    }
  }
}
