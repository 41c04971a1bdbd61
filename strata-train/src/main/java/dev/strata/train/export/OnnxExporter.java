package dev.strata.train.export;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.onnx.proto.OnnxMl.ModelProto;
import dev.strata.core.DataType;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.onnx.OnnxGraphBuilder;
import dev.strata.train.model.Networks;
import dev.strata.train.spec.LayerSpec;
import dev.strata.train.spec.TrainingSpec;
import java.util.List;
import java.util.Map;

/**
 * Writes a trained network as an ONNX graph of standard operators (opset {@value
 * OnnxGraphBuilder#OPSET}) with a dynamic batch axis. Batch normalisation is exported in inference
 * form ({@code BatchNormalization} with the running statistics), dropout as nothing, GELU as its
 * exact erf formula.
 */
public final class OnnxExporter {
  /** The exported model's input name. */
  public static final String INPUT = "input";

  private OnnxExporter() {}

  /** The output name: probabilities after a softmax, else logits, or the regression value. */
  public static String outputName(TrainingSpec spec) {
    if (spec.task() == TrainingSpec.Task.REGRESSION) {
      return "prediction";
    }
    return Networks.endsWithSoftmax(spec.model().layers()) ? "probabilities" : "logits";
  }

  /**
   * Builds the graph.
   *
   * @param block the trained block (child i = layer i, no trailing softmax)
   * @param sample one sample's shape
   */
  public static ModelProto export(
      TrainingSpec spec, SequentialBlock block, long[] sample, Map<String, String> metadata) {
    List<LayerSpec> layers = spec.model().layers();
    List<long[]> shapes = Networks.shapes(layers, sample);
    OnnxGraphBuilder g = OnnxGraphBuilder.create(spec.name().replace('-', '_'));
    long[] in = new long[sample.length + 1];
    in[0] = -1;
    System.arraycopy(sample, 0, in, 1, sample.length);
    String x = g.input(INPUT, DataType.FP32, Shape.of(in));
    String output = outputName(spec);
    for (int i = 0; i < layers.size(); i++) {
      LayerSpec l = layers.get(i);
      Block b = i < block.getChildren().size() ? block.getChildren().get(i).getValue() : null;
      x = layer(g, l, b, x, i);
    }
    g.node("Identity", List.of(x), Map.of(), output);
    long[] outShape = shapes.getLast();
    long[] out = new long[outShape.length + 1];
    out[0] = -1;
    System.arraycopy(outShape, 0, out, 1, outShape.length);
    g.output(output, DataType.FP32, Shape.of(out));
    metadata.forEach(g::metadata);
    return g.build();
  }

  private static String layer(OnnxGraphBuilder g, LayerSpec l, Block b, String x, int i) {
    String p = "l" + i + "_";
    return switch (l) {
      case LayerSpec.Linear lin -> {
        NDArray w = param(b, "weight", i);
        String weight = g.initializer(p + "weight", shape(w), w.toFloatArray());
        List<String> inputs =
            lin.bias()
                ? List.of(x, weight, init(g, p + "bias", param(b, "bias", i)))
                : List.of(x, weight);
        yield g.node("Gemm", inputs, Map.of("transB", 1));
      }
      case LayerSpec.Conv2d c -> conv(g, b, x, p, i, c.kernel(), c.stride(), c.padding(), c.bias());
      case LayerSpec.Residual r -> {
        // block: [ParallelBlock(main, shortcut), relu]; main: conv, bn, relu, conv, bn
        Block sum = ((SequentialBlock) b).getChildren().get(0).getValue();
        Block main = sum.getChildren().get(0).getValue();
        Block shortcut = sum.getChildren().get(1).getValue();
        String m = conv(g, child(main, 0), x, p + "c1_", i, 3, r.stride(), 1, false);
        m = batchNorm(g, child(main, 1), m, p + "bn1_", i, 1e-5);
        m = g.node("Relu", m);
        m = conv(g, child(main, 3), m, p + "c2_", i, 3, 1, 1, false);
        m = batchNorm(g, child(main, 4), m, p + "bn2_", i, 1e-5);
        String s = x;
        if (shortcut instanceof SequentialBlock) {
          s = conv(g, child(shortcut, 0), x, p + "proj_", i, 1, r.stride(), 0, false);
          s = batchNorm(g, child(shortcut, 1), s, p + "projbn_", i, 1e-5);
        }
        yield g.node("Relu", g.node("Add", m, s));
      }
      case LayerSpec.BatchNorm bn -> batchNorm(g, b, x, p, i, bn.epsilon());
      case LayerSpec.Relu r -> g.node("Relu", x);
      case LayerSpec.Sigmoid s -> g.node("Sigmoid", x);
      case LayerSpec.Tanh t -> g.node("Tanh", x);
      case LayerSpec.Gelu ge -> {
        // 0.5 * x * (1 + erf(x / sqrt(2))), the exact GELU PyTorch computes by default
        String sqrt2 = g.initializer(p + "sqrt2", Shape.of(), new float[] {(float) Math.sqrt(2)});
        String one = g.initializer(p + "one", Shape.of(), new float[] {1f});
        String half = g.initializer(p + "half", Shape.of(), new float[] {0.5f});
        String erf = g.node("Erf", g.node("Div", x, sqrt2));
        yield g.node("Mul", g.node("Mul", x, g.node("Add", erf, one)), half);
      }
      case LayerSpec.MaxPool mp ->
          g.node("MaxPool", List.of(x), poolAttributes(mp.kernel(), mp.stride(), mp.padding()));
      case LayerSpec.AvgPool ap -> {
        Map<String, Object> a =
            new java.util.HashMap<>(poolAttributes(ap.kernel(), ap.stride(), ap.padding()));
        a.put("count_include_pad", 1);
        yield g.node("AveragePool", List.of(x), a);
      }
      case LayerSpec.GlobalAvgPool gp ->
          g.node("Flatten", List.of(g.node("GlobalAveragePool", x)), Map.of("axis", 1));
      case LayerSpec.Dropout d -> x;
      case LayerSpec.Flatten f -> g.node("Flatten", List.of(x), Map.of("axis", 1));
      case LayerSpec.Softmax s -> g.node("Softmax", List.of(x), Map.of("axis", -1));
    };
  }

  private static Block child(Block b, int k) {
    return b.getChildren().get(k).getValue();
  }

  private static String conv(
      OnnxGraphBuilder g,
      Block b,
      String x,
      String p,
      int i,
      int kernel,
      int stride,
      int pad,
      boolean bias) {
    String weight = init(g, p + "weight", param(b, "weight", i));
    List<String> inputs =
        bias ? List.of(x, weight, init(g, p + "bias", param(b, "bias", i))) : List.of(x, weight);
    return g.node(
        "Conv",
        inputs,
        Map.of(
            "kernel_shape", new long[] {kernel, kernel},
            "strides", new long[] {stride, stride},
            "pads", new long[] {pad, pad, pad, pad}));
  }

  private static String batchNorm(
      OnnxGraphBuilder g, Block b, String x, String p, int i, double epsilon) {
    return g.node(
        "BatchNormalization",
        List.of(
            x,
            init(g, p + "scale", param(b, "gamma", i)),
            init(g, p + "bias", param(b, "beta", i)),
            init(g, p + "mean", param(b, "runningMean", i)),
            init(g, p + "var", param(b, "runningVar", i))),
        Map.of("epsilon", (float) epsilon));
  }

  private static Map<String, Object> poolAttributes(int kernel, int stride, int pad) {
    return Map.of(
        "kernel_shape", new long[] {kernel, kernel},
        "strides", new long[] {stride, stride},
        "pads", new long[] {pad, pad, pad, pad});
  }

  private static NDArray param(Block b, String name, int layer) {
    if (b == null || !b.getParameters().contains(name)) {
      throw StrataException.internal(
          "export: layer " + layer + " has no parameter '" + name + "'", null);
    }
    return b.getParameters().get(name).getArray();
  }

  private static String init(OnnxGraphBuilder g, String name, NDArray a) {
    return g.initializer(name, shape(a), a.toFloatArray());
  }

  private static Shape shape(NDArray a) {
    return Shape.of(a.getShape().getShape());
  }
}
