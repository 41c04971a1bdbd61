package dev.strata.compress.quantize;

import ai.onnx.proto.OnnxMl.NodeProto;
import dev.strata.compress.graph.Graph;
import dev.strata.onnx.Initializers;
import java.util.List;
import java.util.Optional;

/**
 * Folds each {@code BatchNormalization} that follows a {@code Conv} with constant weights into that
 * convolution: {@code W' = W·γ/√(σ²+ε)} per output channel and {@code b' = (b−μ)·γ/√(σ²+ε)+β}. The
 * result computes the same function (up to float rounding) with one node less, and gives the
 * quantizer one weight tensor and one bias per layer, as the int8 kernels need.
 */
public final class BatchNormFolding {
  private BatchNormFolding() {}

  /** Folds what can be folded; returns how many BatchNormalization nodes were removed. */
  public static int fold(Graph g) {
    int folded = 0;
    for (int i = 0; i < g.nodes().size(); i++) {
      NodeProto bn = g.nodes().get(i);
      if (!bn.getOpType().equals("BatchNormalization") || bn.getOutputCount() != 1) {
        continue;
      }
      Optional<NodeProto> conv = g.producer(bn.getInput(0));
      if (conv.isEmpty()
          || !conv.get().getOpType().equals("Conv")
          || g.consumers(bn.getInput(0)).size() != 1
          || g.isGraphOutput(bn.getInput(0))
          || !g.isInitializer(conv.get().getInput(1))
          || (conv.get().getInputCount() > 2 && !g.isInitializer(conv.get().getInput(2)))
          || !bn.getInputList().subList(1, 5).stream().allMatch(g::isInitializer)) {
        continue;
      }
      fold(g, conv.get(), bn);
      folded++;
      i = -1; // node indices changed: start over (graphs are small enough)
    }
    return folded;
  }

  private static void fold(Graph g, NodeProto conv, NodeProto bn) {
    float[] gamma = floats(g, bn.getInput(1));
    float[] beta = floats(g, bn.getInput(2));
    float[] mean = floats(g, bn.getInput(3));
    float[] var = floats(g, bn.getInput(4));
    float eps = Graph.floatAttribute(bn, "epsilon", 1e-5f);
    String wName = conv.getInput(1);
    long[] wDims = Initializers.dims(g.initializer(wName).orElseThrow());
    float[] w = floats(g, wName);
    int out = (int) wDims[0];
    int per = w.length / out;
    float[] b =
        conv.getInputCount() > 2 && !conv.getInput(2).isEmpty()
            ? floats(g, conv.getInput(2))
            : new float[out];
    float[] w2 = new float[w.length];
    float[] b2 = new float[out];
    for (int c = 0; c < out; c++) {
      double k = gamma[c] / Math.sqrt(var[c] + (double) eps);
      for (int j = 0; j < per; j++) {
        w2[c * per + j] = (float) (w[c * per + j] * k);
      }
      b2[c] = (float) ((b[c] - mean[c]) * k + beta[c]);
    }
    String newW = g.unique(wName + "_bn_folded");
    String newB = g.unique(Graph.nameOf(conv) + "_bias_bn_folded");
    g.putInitializer(Initializers.floats(newW, wDims, w2));
    g.putInitializer(Initializers.floats(newB, new long[] {out}, b2));
    NodeProto.Builder c = conv.toBuilder().clearInput().addInput(conv.getInput(0)).addInput(newW);
    c.addInput(newB).setOutput(0, bn.getOutput(0));
    int ci = g.nodes().indexOf(conv);
    g.nodes().set(ci, c.build());
    g.nodes().remove(bn);
    for (String s : List.of(wName, conv.getInputCount() > 2 ? conv.getInput(2) : "")) {
      if (!s.isEmpty()) {
        g.removeInitializerIfUnused(s);
      }
    }
    bn.getInputList().subList(1, 5).forEach(g::removeInitializerIfUnused);
  }

  private static float[] floats(Graph g, String name) {
    return Initializers.floats(g.initializer(name).orElseThrow());
  }
}
