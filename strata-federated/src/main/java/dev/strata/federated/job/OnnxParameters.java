package dev.strata.federated.job;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.strata.core.StrataException;
import dev.strata.onnx.Initializers;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A job's parameter vector is the trainable state of a model {@code strata train} exported: its
 * float initializers named {@code l<layer>_<weight|bias|scale|mean|var>}, in the file's order,
 * concatenated. The cloud reads the starting model's vector and writes the result back into a copy
 * of the same file (so the result keeps its signature, labels, preprocessing and metadata); nodes
 * map the same layout onto their DJL network. No DJL here.
 */
public final class OnnxParameters {
  private static final Pattern NAME = Pattern.compile("l(\\d+)_(weight|bias|scale|mean|var)");

  /** One parameter: its initializer's name, layer index, kind and shape. */
  public record Entry(String name, int layer, String kind, long[] dims, int offset, int size) {}

  private OnnxParameters() {}

  /** The layout of a model's parameter vector. */
  public static List<Entry> layout(ModelProto model) {
    List<Entry> out = new ArrayList<>();
    int offset = 0;
    for (TensorProto t : model.getGraph().getInitializerList()) {
      Matcher m = NAME.matcher(t.getName());
      if (!m.matches() || !Initializers.isFloat(t)) {
        continue;
      }
      long[] dims = Initializers.dims(t);
      int size = Initializers.size(dims);
      out.add(new Entry(t.getName(), Integer.parseInt(m.group(1)), m.group(2), dims, offset, size));
      offset = Math.addExact(offset, size);
    }
    if (out.isEmpty()) {
      throw StrataException.invalid(
          "the model has no trainable initializers named l<layer>_<weight|bias|scale|mean|var> (expected: a model exported by strata train)");
    }
    return out;
  }

  /** The positions of running statistics (batch normalisation's mean and var) in the vector. */
  public static java.util.BitSet statistics(List<Entry> layout) {
    java.util.BitSet out = new java.util.BitSet();
    for (Entry e : layout) {
      if (e.kind().equals("mean") || e.kind().equals("var")) {
        out.set(e.offset(), e.offset() + e.size());
      }
    }
    return out;
  }

  /** The model's parameter vector. */
  public static float[] read(ModelProto model) {
    List<Entry> layout = layout(model);
    Entry last = layout.getLast();
    float[] out = new float[last.offset() + last.size()];
    for (TensorProto t : model.getGraph().getInitializerList()) {
      for (Entry e : layout) {
        if (e.name().equals(t.getName())) {
          System.arraycopy(Initializers.floats(t), 0, out, e.offset(), e.size());
        }
      }
    }
    return out;
  }

  /** A copy of {@code model} whose parameters are {@code values}. */
  public static ModelProto write(ModelProto model, float[] values) {
    List<Entry> layout = layout(model);
    Entry last = layout.getLast();
    if (values.length != last.offset() + last.size()) {
      throw StrataException.invalid(
          "parameters: %d values (expected: %d for this model)",
          values.length, last.offset() + last.size());
    }
    ModelProto.Builder b = model.toBuilder();
    var graph = b.getGraphBuilder();
    for (int i = 0; i < graph.getInitializerCount(); i++) {
      String name = graph.getInitializer(i).getName();
      for (Entry e : layout) {
        if (e.name().equals(name)) {
          float[] v = new float[e.size()];
          System.arraycopy(values, e.offset(), v, 0, e.size());
          graph.setInitializer(i, Initializers.floats(name, e.dims(), v));
        }
      }
    }
    return b.build();
  }
}
