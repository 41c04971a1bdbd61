package dev.strata.compress.quantize;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.strata.compress.graph.Graph;
import dev.strata.core.StrataException;
import dev.strata.onnx.Initializers;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Static post-training quantization in QDQ form, as ONNX Runtime's quantizer writes it: every
 * activation a quantized node reads passes through a QuantizeLinear/DequantizeLinear pair whose
 * uint8 scale and zero point come from calibration; weights are stored as int8 (per output channel
 * or per tensor) behind a DequantizeLinear, biases as int32 at the product of the input's and the
 * weight's scales. ONNX Runtime fuses {@code DQ → Conv → Q} into QLinearConv, Gemm and MatMul into
 * their int8 kernels, and drops the Q/DQ around MaxPool and Flatten; the graph stays a valid float
 * model for any other runtime. BatchNormalization is folded into the convolutions first.
 */
public final class StaticQuantizer {
  /** Nodes with a weight: quantized with int8 weights. */
  static final Set<String> WEIGHTED = Set.of("Conv", "Gemm", "MatMul");

  /** Nodes that run in int8 given int8 inputs and whose output keeps the input's range. */
  static final Set<String> SAME_RANGE = Set.of("MaxPool", "Flatten", "Reshape");

  /** Nodes that run in int8 with their own output range. */
  static final Set<String> OWN_RANGE = Set.of("Add", "AveragePool", "GlobalAveragePool");

  /** How to quantize. */
  /**
   * How to quantize.
   *
   * @param reduceRange weights in 7 bits (±63) rather than 8 (±127), as ONNX Runtime's quantizer's
   *     {@code reduce_range}: x86 CPUs without VNNI multiply uint8 by int8 with {@code vpmaddubsw},
   *     which saturates a pair of products at 32,767; 255·63·2 stays below it
   */
  public record Options(
      Calibration.Method method,
      double percentile,
      boolean perChannel,
      Set<String> exclude,
      boolean reduceRange) {
    public Options {
      exclude = Set.copyOf(exclude);
    }

    public Options(
        Calibration.Method method, double percentile, boolean perChannel, Set<String> exclude) {
      this(method, percentile, perChannel, exclude, false);
    }
  }

  /** The quantized model and what was done. */
  public record Result(
      ModelProto model, int batchNormsFolded, List<String> quantizedNodes, int activations) {}

  private StaticQuantizer() {}

  public static Result quantize(ModelProto model, Calibration.Samples samples, Options o) {
    Graph g = new Graph(model);
    long opset = g.opset();
    if (opset < (o.perChannel() ? 13 : 10)) {
      throw StrataException.invalid(
          "the model imports opset %d; static quantization needs opset %d or later%s",
          opset, o.perChannel() ? 13 : 10, o.perChannel() ? " for --per-channel" : "");
    }
    checkExcluded(g, o.exclude());
    int folded = BatchNormFolding.fold(g);
    List<NodeProto> quantized = new ArrayList<>();
    for (NodeProto n : g.nodes()) {
      if (!o.exclude().contains(Graph.nameOf(n)) && quantizable(g, n)) {
        quantized.add(n);
      }
    }
    Set<String> tensors = new LinkedHashSet<>();
    for (NodeProto n : quantized) {
      for (int i : dataInputs(g, n)) {
        tensors.add(n.getInput(i));
      }
    }
    if (tensors.isEmpty()) {
      throw StrataException.invalid(
          "nothing to quantize: the model has no Conv, Gemm or MatMul with constant weights that"
              + " is not excluded");
    }
    Map<String, Calibration.Range> ranges =
        new HashMap<>(
            Calibration.ranges(
                g.build(), List.copyOf(tensors), samples, o.method(), o.percentile()));
    // MaxPool, Flatten, Reshape: int8 in ONNX Runtime only when output and input share a scale
    for (NodeProto n : quantized) {
      if (SAME_RANGE.contains(n.getOpType()) && ranges.containsKey(n.getOutput(0))) {
        ranges.put(n.getOutput(0), ranges.get(n.getInput(0)));
      }
    }
    Set<String> quantizedNames = new HashSet<>();
    quantized.forEach(n -> quantizedNames.add(Graph.nameOf(n)));
    Map<String, Int8.Activation> params = new HashMap<>();
    for (String t : tensors) {
      Int8.Activation a = Int8.Activation.of(ranges.get(t));
      params.put(insertQdq(g, t, a, quantizedNames), a);
    }
    for (NodeProto n : List.copyOf(g.nodes())) {
      if (quantizedNames.contains(Graph.nameOf(n)) && WEIGHTED.contains(n.getOpType())) {
        quantizeWeights(g, n, params, o.perChannel(), o.reduceRange());
      }
    }
    List<String> names = quantized.stream().map(Graph::nameOf).toList();
    return new Result(g.build(), folded, names, tensors.size());
  }

  private static void checkExcluded(Graph g, Set<String> exclude) {
    Set<String> known = new HashSet<>();
    g.nodes().forEach(n -> known.add(Graph.nameOf(n)));
    Set<String> unknown = new TreeSet<>(exclude);
    unknown.removeAll(known);
    if (!unknown.isEmpty()) {
      throw StrataException.invalid(
          "--exclude: no node named %s in the model (its nodes: %s)",
          String.join(", ", unknown), g.nodes().stream().map(Graph::nameOf).limit(40).toList());
    }
  }

  private static boolean quantizable(Graph g, NodeProto n) {
    String op = n.getOpType();
    if (WEIGHTED.contains(op)) {
      if (n.getInputCount() < 2 || !g.isInitializer(n.getInput(1))) {
        return false;
      }
      TensorProto w = g.initializer(n.getInput(1)).orElseThrow();
      if (!Initializers.isFloat(w)) {
        return false;
      }
      return switch (op) {
        case "Gemm" -> w.getDimsCount() == 2 && Graph.intAttribute(n, "transA", 0) == 0;
        case "MatMul" -> w.getDimsCount() == 2;
        default -> w.getDimsCount() >= 3;
      };
    }
    return SAME_RANGE.contains(op) || OWN_RANGE.contains(op);
  }

  /** The positions of a quantized node's float activation inputs. */
  private static List<Integer> dataInputs(Graph g, NodeProto n) {
    List<Integer> out = new ArrayList<>();
    int count = n.getOpType().equals("Add") || n.getOpType().equals("MatMul") ? 2 : 1;
    for (int i = 0; i < Math.min(count, n.getInputCount()); i++) {
      if (!n.getInput(i).isEmpty() && !g.isInitializer(n.getInput(i))) {
        out.add(i);
      }
    }
    return out;
  }

  /**
   * Puts {@code t → Q → DQ} after t's producer and has the quantized consumers read the DQ.
   *
   * @return the name of the dequantized tensor
   */
  private static String insertQdq(Graph g, String t, Int8.Activation a, Set<String> quantized) {
    String base = t.replaceAll("[^A-Za-z0-9_]", "_");
    String scale = g.unique(base + "_s");
    String zp = g.unique(base + "_zp");
    g.putInitializer(Initializers.floats(scale, new long[0], new float[] {a.scale()}));
    g.putInitializer(Initializers.uint8(zp, new long[0], new byte[] {(byte) a.zeroPoint()}));
    String q = g.unique(base + "_q");
    String dq = g.unique(base + "_dq");
    int at = g.producer(t).map(p -> g.nodes().indexOf(p) + 1).orElse(0);
    g.rewire(t, dq, n -> quantized.contains(Graph.nameOf(n)));
    g.nodes()
        .add(
            at,
            Graph.node("QuantizeLinear", g.unique(base + "_Q"), List.of(t, scale, zp), List.of(q)));
    g.nodes()
        .add(
            at + 1,
            Graph.node(
                "DequantizeLinear", g.unique(base + "_DQ"), List.of(q, scale, zp), List.of(dq)));
    return dq;
  }

  /** The weight (and bias) of a Conv, Gemm or MatMul as int8 (int32) behind DequantizeLinear. */
  private static void quantizeWeights(
      Graph g,
      NodeProto n,
      Map<String, Int8.Activation> dequantized,
      boolean perChannel,
      boolean reduceRange) {
    String wName = n.getInput(1);
    TensorProto wt = g.initializer(wName).orElseThrow();
    long[] dims = Initializers.dims(wt);
    int axis =
        switch (n.getOpType()) {
          case "Gemm" -> Graph.intAttribute(n, "transB", 0) == 1 ? 0 : 1;
          case "MatMul" -> 1;
          default -> 0;
        };
    Int8.Weights q =
        Int8.weights(Initializers.floats(wt), dims, axis, perChannel, reduceRange ? 63 : 127);
    String base = Graph.nameOf(n).replaceAll("[^A-Za-z0-9_]", "_");
    String wq = g.unique(base + "_w_q");
    String ws = g.unique(base + "_w_s");
    String wz = g.unique(base + "_w_zp");
    String wdq = g.unique(base + "_w_dq");
    long[] sDims = perChannel ? new long[] {q.scales().length} : new long[0];
    g.putInitializer(Initializers.int8(wq, dims, q.values()));
    g.putInitializer(Initializers.floats(ws, sDims, q.scales()));
    g.putInitializer(Initializers.int8(wz, sDims, new byte[q.scales().length]));
    List<NodeProto> added = new ArrayList<>();
    added.add(dq(g, base + "_w_DQ", List.of(wq, ws, wz), wdq, perChannel ? axis : -1));
    NodeProto.Builder b = n.toBuilder().setInput(1, wdq);
    // the bias, at the scale of input × weight, when the input is quantized
    String x = n.getInput(0);
    Int8.Activation xa = dequantized.get(x); // null when the input is not quantized
    if (n.getInputCount() > 2 && xa != null && g.isInitializer(n.getInput(2))) {
      TensorProto bt = g.initializer(n.getInput(2)).orElseThrow();
      int channels = q.scales().length == 1 ? (int) dims[axis] : q.scales().length;
      if (Initializers.isFloat(bt) && bt.getDimsCount() == 1 && bt.getDims(0) == channels) {
        float[] bias = Initializers.floats(bt);
        int[] bq = Int8.bias(bias, xa.scale(), q.scales());
        float[] bs =
            perChannel
                ? Int8.biasScales(channels, xa.scale(), q.scales())
                : new float[] {xa.scale() * q.scales()[0]};
        long[] bsDims = perChannel ? new long[] {channels} : new long[0];
        String bqn = g.unique(base + "_b_q");
        String bsn = g.unique(base + "_b_s");
        String bdq = g.unique(base + "_b_dq");
        g.putInitializer(Initializers.int32(bqn, new long[] {channels}, bq));
        g.putInitializer(Initializers.floats(bsn, bsDims, bs));
        // no zero point: an int32 bias is symmetric, and the input's default is 0
        added.add(dq(g, base + "_b_DQ", List.of(bqn, bsn), bdq, perChannel ? 0 : -1));
        b.setInput(2, bdq);
      }
    }
    int at = g.nodes().indexOf(n);
    g.nodes().set(at, b.build());
    g.nodes().addAll(at, added);
    g.removeInitializerIfUnused(wName);
    if (n.getInputCount() > 2) {
      g.removeInitializerIfUnused(n.getInput(2));
    }
  }

  private static NodeProto dq(Graph g, String name, List<String> in, String out, int axis) {
    String unique = g.unique(name);
    return axis < 0
        ? Graph.node("DequantizeLinear", unique, in, List.of(out))
        : Graph.node(
            "DequantizeLinear", unique, in, List.of(out), Graph.intAttribute("axis", axis));
  }
}
