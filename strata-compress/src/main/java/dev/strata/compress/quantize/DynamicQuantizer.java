package dev.strata.compress.quantize;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.strata.compress.graph.Graph;
import dev.strata.core.StrataException;
import dev.strata.onnx.Initializers;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Dynamic quantization, for MatMul-heavy models such as transformers: weights are stored as int8
 * and each activation that meets a weight is quantized to uint8 while the model runs, from its own
 * range ({@code DynamicQuantizeLinear}). A {@code MatMul} by a constant weight becomes
 *
 * <pre>DynamicQuantizeLinear(A) → MatMulInteger(A_q, W_q, A_zp, W_zp) → Cast → Mul(A_scale·W_scale)
 * </pre>
 *
 * which ONNX Runtime fuses into its integer MatMul kernel; one DynamicQuantizeLinear serves every
 * MatMul reading the same activation (a transformer's query, key and value). Embedding tables read
 * by {@code Gather} are stored as int8 too and dequantized after the lookup, so only the gathered
 * rows are expanded.
 */
public final class DynamicQuantizer {
  /** Tables smaller than this are left in float: the saving is nil and they are often scales. */
  static final int MIN_GATHER_TABLE = 4096;

  /**
   * How to quantize.
   *
   * @param reduceRange MatMul weights in 7 bits (see {@link StaticQuantizer.Options})
   */
  public record Options(boolean perChannel, Set<String> exclude, boolean reduceRange) {
    public Options {
      exclude = Set.copyOf(exclude);
    }

    public Options(boolean perChannel, Set<String> exclude) {
      this(perChannel, exclude, false);
    }
  }

  public record Result(ModelProto model, List<String> matMuls, List<String> gathers) {}

  private DynamicQuantizer() {}

  public static Result quantize(ModelProto model, Options o) {
    Graph g = new Graph(model);
    if (g.opset() < 11) {
      throw StrataException.invalid(
          "the model imports opset %d; dynamic quantization needs opset 11 or later (for"
              + " DynamicQuantizeLinear)",
          g.opset());
    }
    Set<String> known = new java.util.HashSet<>();
    g.nodes().forEach(n -> known.add(Graph.nameOf(n)));
    List<String> unknown = o.exclude().stream().filter(e -> !known.contains(e)).sorted().toList();
    if (!unknown.isEmpty()) {
      throw StrataException.invalid(
          "--exclude: no node named %s in the model", String.join(", ", unknown));
    }
    Map<String, String[]> quantizedActivations = new HashMap<>();
    List<String> matMuls = new ArrayList<>();
    List<String> gathers = new ArrayList<>();
    for (NodeProto n : List.copyOf(g.nodes())) {
      if (o.exclude().contains(Graph.nameOf(n))) {
        continue;
      }
      if (n.getOpType().equals("MatMul") && weight(g, n.getInput(1), 2)) {
        matMul(g, n, quantizedActivations, o.perChannel(), o.reduceRange() ? 63 : 127);
        matMuls.add(Graph.nameOf(n));
      } else if (n.getOpType().equals("Gather")
          && weight(g, n.getInput(0), 2)
          && Initializers.size(Initializers.dims(g.initializer(n.getInput(0)).orElseThrow()))
              >= MIN_GATHER_TABLE) {
        gather(g, n);
        gathers.add(Graph.nameOf(n));
      }
    }
    if (matMuls.isEmpty() && gathers.isEmpty()) {
      throw StrataException.invalid(
          "nothing to quantize: the model has no MatMul by a constant weight and no embedding"
              + " table (Gather) that is not excluded");
    }
    return new Result(g.build(), matMuls, gathers);
  }

  private static boolean weight(Graph g, String name, int rank) {
    return g.initializer(name)
        .filter(Initializers::isFloat)
        .filter(t -> t.getDimsCount() == rank)
        .isPresent();
  }

  private static void matMul(
      Graph g,
      NodeProto n,
      Map<String, String[]> quantizedActivations,
      boolean perChannel,
      int limit) {
    String a = n.getInput(0);
    String base = Graph.nameOf(n).replaceAll("[^A-Za-z0-9_]", "_");
    List<NodeProto> added = new ArrayList<>();
    String[] aq = quantizedActivations.get(a);
    int at = g.nodes().indexOf(n);
    if (aq == null) {
      String ab = a.replaceAll("[^A-Za-z0-9_]", "_");
      aq =
          new String[] {
            g.unique(ab + "_quantized"), g.unique(ab + "_scale"), g.unique(ab + "_zero_point")
          };
      // right after the activation's producer, so that every later MatMul reading it can share it
      int after = g.producer(a).map(p -> g.nodes().indexOf(p) + 1).orElse(0);
      g.nodes()
          .add(
              after,
              Graph.node(
                  "DynamicQuantizeLinear",
                  g.unique(ab + "_DynamicQuantize"),
                  List.of(a),
                  List.of(aq)));
      at++;
      quantizedActivations.put(a, aq);
    }
    TensorProto wt = g.initializer(n.getInput(1)).orElseThrow();
    long[] dims = Initializers.dims(wt);
    Int8.Weights q = Int8.weights(Initializers.floats(wt), dims, 1, perChannel, limit);
    long[] sDims = perChannel ? new long[] {q.scales().length} : new long[0];
    String wq = g.unique(base + "_weight_quantized");
    String ws = g.unique(base + "_weight_scale");
    String wz = g.unique(base + "_weight_zero_point");
    g.putInitializer(Initializers.int8(wq, dims, q.values()));
    g.putInitializer(Initializers.floats(ws, sDims, q.scales()));
    g.putInitializer(Initializers.int8(wz, sDims, new byte[q.scales().length]));
    String yInt = g.unique(base + "_int32");
    String yFloat = g.unique(base + "_unscaled");
    String scale = g.unique(base + "_output_scale");
    added.add(
        Graph.node(
            "MatMulInteger",
            g.unique(base + "_MatMulInteger"),
            List.of(aq[0], wq, aq[2], wz),
            List.of(yInt)));
    added.add(
        Graph.node(
            "Cast",
            g.unique(base + "_Cast"),
            List.of(yInt),
            List.of(yFloat),
            Graph.intAttribute("to", TensorProto.DataType.FLOAT_VALUE)));
    added.add(Graph.node("Mul", g.unique(base + "_scale_Mul"), List.of(aq[1], ws), List.of(scale)));
    added.add(
        Graph.node(
            "Mul", g.unique(base + "_Mul"), List.of(yFloat, scale), List.of(n.getOutput(0))));
    g.nodes().remove(at);
    g.nodes().addAll(at, added);
    g.removeInitializerIfUnused(n.getInput(1));
  }

  private static void gather(Graph g, NodeProto n) {
    String table = n.getInput(0);
    TensorProto t = g.initializer(table).orElseThrow();
    long[] dims = Initializers.dims(t);
    Int8.Weights q = Int8.weights(Initializers.floats(t), dims, 0, false);
    String base = Graph.nameOf(n).replaceAll("[^A-Za-z0-9_]", "_");
    String tq = g.unique(base + "_table_quantized");
    String ts = g.unique(base + "_table_scale");
    String tz = g.unique(base + "_table_zero_point");
    String rows = g.unique(base + "_rows_quantized");
    g.putInitializer(Initializers.int8(tq, dims, q.values()));
    g.putInitializer(Initializers.floats(ts, new long[0], q.scales()));
    g.putInitializer(Initializers.int8(tz, new long[0], new byte[1]));
    int at = g.nodes().indexOf(n);
    NodeProto lookup = n.toBuilder().setInput(0, tq).setOutput(0, rows).build();
    NodeProto dq =
        Graph.node(
            "DequantizeLinear",
            g.unique(base + "_DQ"),
            List.of(rows, ts, tz),
            List.of(n.getOutput(0)));
    g.nodes().set(at, lookup);
    g.nodes().add(at + 1, dq);
    g.removeInitializerIfUnused(table);
  }
}
