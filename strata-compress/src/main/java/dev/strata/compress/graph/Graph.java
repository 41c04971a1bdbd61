package dev.strata.compress.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An ONNX model open for editing: its nodes in order and its initializers by name. The graph
 * transforms of this module change a {@code Graph} and {@link #build} the model back; everything
 * they do not touch (inputs, outputs, metadata, opsets) is kept as it was.
 */
public final class Graph {
  private final ModelProto original;
  private final List<NodeProto> nodes;
  private final Map<String, TensorProto> initializers = new LinkedHashMap<>();
  private final Set<String> names = new HashSet<>();
  private final Set<String> outputs = new HashSet<>();

  public Graph(ModelProto model) {
    this.original = model;
    GraphProto g = model.getGraph();
    this.nodes = new ArrayList<>(g.getNodeList());
    for (TensorProto t : g.getInitializerList()) {
      initializers.put(t.getName(), t);
      names.add(t.getName());
    }
    for (NodeProto n : nodes) {
      names.addAll(n.getOutputList());
      names.add(n.getName());
    }
    g.getInputList().forEach(v -> names.add(v.getName()));
    g.getOutputList().forEach(v -> outputs.add(v.getName()));
  }

  /** The default-domain opset the model imports (0 when it imports none). */
  public long opset() {
    return original.getOpsetImportList().stream()
        .filter(o -> o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx"))
        .mapToLong(OperatorSetIdProto::getVersion)
        .findFirst()
        .orElse(0);
  }

  public List<NodeProto> nodes() {
    return nodes;
  }

  public Optional<TensorProto> initializer(String name) {
    return Optional.ofNullable(initializers.get(name));
  }

  public boolean isInitializer(String name) {
    return initializers.containsKey(name);
  }

  public boolean isGraphOutput(String name) {
    return outputs.contains(name);
  }

  public void putInitializer(TensorProto t) {
    initializers.put(t.getName(), t);
    names.add(t.getName());
  }

  public void removeInitializerIfUnused(String name) {
    for (NodeProto n : nodes) {
      if (n.getInputList().contains(name)) {
        return;
      }
    }
    initializers.remove(name);
  }

  /** The node that produces this tensor, if any. */
  public Optional<NodeProto> producer(String tensor) {
    return nodes.stream().filter(n -> n.getOutputList().contains(tensor)).findFirst();
  }

  /** The nodes that read this tensor. */
  public List<NodeProto> consumers(String tensor) {
    return nodes.stream().filter(n -> n.getInputList().contains(tensor)).toList();
  }

  /** A name no tensor or node of the graph has yet, claimed. */
  public String unique(String base) {
    String name = base;
    for (int i = 1; names.contains(name); i++) {
      name = base + "_" + i;
    }
    names.add(name);
    return name;
  }

  /** A node's name, or its first output's when it has none (exporters often leave it empty). */
  public static String nameOf(NodeProto n) {
    return n.getName().isEmpty() ? n.getOutput(0) : n.getName();
  }

  public static NodeProto node(
      String op, String name, List<String> inputs, List<String> outputs, AttributeProto... attrs) {
    NodeProto.Builder b =
        NodeProto.newBuilder()
            .setOpType(op)
            .setName(name)
            .addAllInput(inputs)
            .addAllOutput(outputs);
    for (AttributeProto a : attrs) {
      b.addAttribute(a);
    }
    return b.build();
  }

  public static AttributeProto intAttribute(String name, long value) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.INT)
        .setI(value)
        .build();
  }

  /** An INT attribute of a node, or the default. */
  public static long intAttribute(NodeProto n, String name, long dflt) {
    return n.getAttributeList().stream()
        .filter(a -> a.getName().equals(name))
        .mapToLong(AttributeProto::getI)
        .findFirst()
        .orElse(dflt);
  }

  /** A FLOAT attribute of a node, or the default. */
  public static float floatAttribute(NodeProto n, String name, float dflt) {
    return n.getAttributeList().stream()
        .filter(a -> a.getName().equals(name))
        .map(AttributeProto::getF)
        .findFirst()
        .orElse(dflt);
  }

  /** Replaces every read of {@code from} by {@code to} in the nodes that satisfy the filter. */
  public void rewire(String from, String to, java.util.function.Predicate<NodeProto> which) {
    for (int i = 0; i < nodes.size(); i++) {
      NodeProto n = nodes.get(i);
      if (!n.getInputList().contains(from) || !which.test(n)) {
        continue;
      }
      NodeProto.Builder b = n.toBuilder();
      for (int k = 0; k < n.getInputCount(); k++) {
        if (n.getInput(k).equals(from)) {
          b.setInput(k, to);
        }
      }
      nodes.set(i, b.build());
    }
  }

  /** The model with this graph's nodes and initializers, and the rest of the original. */
  public ModelProto build() {
    GraphProto.Builder g =
        original.getGraph().toBuilder().clearNode().clearInitializer().addAllNode(nodes);
    initializers.values().forEach(g::addInitializer);
    return original.toBuilder().setGraph(g).build();
  }

  /** The model with extra graph outputs (FP32, shape left open), for reading activations. */
  public static ModelProto withOutputs(ModelProto model, List<String> tensors) {
    GraphProto.Builder g = model.getGraph().toBuilder();
    Set<String> existing = new HashSet<>();
    g.getOutputList().forEach(v -> existing.add(v.getName()));
    for (String t : tensors) {
      if (existing.add(t)) {
        g.addOutput(
            ValueInfoProto.newBuilder()
                .setName(t)
                .setType(
                    ai.onnx.proto.OnnxMl.TypeProto.newBuilder()
                        .setTensorType(
                            ai.onnx.proto.OnnxMl.TypeProto.Tensor.newBuilder()
                                .setElemType(TensorProto.DataType.FLOAT_VALUE))));
      }
    }
    return model.toBuilder().setGraph(g).build();
  }
}
