package dev.strata.onnx;

import static java.util.Objects.requireNonNull;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import dev.strata.core.DataType;
import dev.strata.core.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Builds an ONNX graph node by node over the protobuf classes. Names are checked for uniqueness;
 * nodes get generated output names unless one is given. A dimension of -1 in an input or output
 * becomes the symbolic dimension {@code "batch"} (the dynamic batch axis).
 *
 * <pre>{@code
 * OnnxGraphBuilder g = OnnxGraphBuilder.create("mlp");
 * String x = g.input("input", DataType.FP32, Shape.of(-1, 4));
 * String h = g.node("Gemm", List.of(x, g.initializer("w", Shape.of(4, 3), w), g.initializer("b", Shape.of(3), b)), Map.of("transB", 0));
 * g.output(g.node("Softmax", List.of(h), Map.of("axis", -1), "probabilities"), DataType.FP32, Shape.of(-1, 3));
 * ModelProto model = g.build();
 * }</pre>
 */
public final class OnnxGraphBuilder {
  /** The opset Strata writes; ONNX Runtime 1.23 supports it fully. */
  public static final int OPSET = 17;

  /** IR version 8 goes with opset 17. */
  public static final long IR_VERSION = 8;

  private final GraphProto.Builder graph = GraphProto.newBuilder();
  private final Set<String> names = new HashSet<>();
  private final Map<String, String> metadata = new LinkedHashMap<>();
  private int counter;

  private OnnxGraphBuilder(String name) {
    graph.setName(requireNonNull(name, "name"));
  }

  public static OnnxGraphBuilder create(String graphName) {
    return new OnnxGraphBuilder(graphName);
  }

  /**
   * Declares a graph input; a -1 first dimension becomes the symbolic {@code batch} axis, a -1
   * elsewhere an axis of its own ({@code <name>_<axis>}).
   */
  public String input(String name, DataType type, Shape shape) {
    claim(name);
    graph.addInput(valueInfo(name, type, shape));
    return name;
  }

  /**
   * Declares a graph input whose dimensions are sizes ({@link Number}) or symbolic names ({@link
   * String}, ONNX's {@code dim_param}): axes of the same name must have the same size in a run,
   * e.g. {@code input("input_ids", INT64, List.of("batch", "sequence"))}.
   */
  public String input(String name, DataType type, List<?> dims) {
    claim(name);
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (Object d : dims) {
      switch (d) {
        case Number n ->
            s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(n.longValue()));
        case String p -> s.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(p));
        default ->
            throw new IllegalArgumentException(
                "input '" + name + "': dimension " + d + " (expected: a size or a name)");
      }
    }
    graph.addInput(valueInfo(name, type, s));
    return name;
  }

  /** Declares an existing value as a graph output. */
  public String output(String name, DataType type, Shape shape) {
    graph.addOutput(valueInfo(name, type, shape));
    return name;
  }

  /** Adds an FP32 initializer (a weight). */
  public String initializer(String name, Shape shape, float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return initializer(name, DataType.FP32, shape, b);
  }

  /** Adds an INT64 initializer (shapes, axes). */
  public String initializer(String name, Shape shape, long[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    return initializer(name, DataType.INT64, shape, b);
  }

  /** Adds an initializer from little-endian raw data. */
  public String initializer(String name, DataType type, Shape shape, ByteBuffer rawLittleEndian) {
    claim(name);
    TensorProto.Builder t =
        TensorProto.newBuilder().setName(name).setDataType(OnnxTypes.toOnnx(type).getNumber());
    for (long d : shape.toArray()) {
      t.addDims(d);
    }
    t.setRawData(ByteString.copyFrom(rawLittleEndian.duplicate()));
    graph.addInitializer(t);
    return name;
  }

  /** Adds a single-output node with a generated output name. */
  public String node(String opType, List<String> inputs, Map<String, ?> attributes) {
    return node(opType, inputs, attributes, uniqueName(opType.toLowerCase()));
  }

  /** Adds a single-output node without attributes. */
  public String node(String opType, String... inputs) {
    return node(opType, List.of(inputs), Map.of());
  }

  /** Adds a single-output node whose output has the given name. */
  public String node(String opType, List<String> inputs, Map<String, ?> attributes, String output) {
    nodes(opType, inputs, attributes, List.of(output));
    return output;
  }

  /** Adds a node with several outputs. */
  public List<String> nodes(
      String opType, List<String> inputs, Map<String, ?> attributes, List<String> outputs) {
    NodeProto.Builder n =
        NodeProto.newBuilder().setOpType(opType).setName(uniqueName(opType + "_node"));
    n.addAllInput(inputs);
    for (String o : outputs) {
      claim(o);
      n.addOutput(o);
    }
    // By name, so that the same model is written to the same bytes (Map.of has no fixed order).
    new TreeMap<>(attributes).forEach((k, v) -> n.addAttribute(attribute(k, v)));
    graph.addNode(n);
    return outputs;
  }

  /** Adds a key/value pair to the model's {@code metadata_props}. */
  public OnnxGraphBuilder metadata(String key, String value) {
    metadata.put(requireNonNull(key, "key"), requireNonNull(value, "value"));
    return this;
  }

  /** A fresh name with the given prefix, unique in this graph. */
  public String uniqueName(String prefix) {
    String n;
    do {
      n = prefix + "_" + counter++;
    } while (names.contains(n));
    return n;
  }

  public ModelProto build() {
    ModelProto.Builder m =
        ModelProto.newBuilder()
            .setIrVersion(IR_VERSION)
            .setProducerName("strata")
            .setProducerVersion(OnnxModels.PRODUCER_VERSION)
            .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
            .setGraph(graph.clone());
    metadata.forEach(
        (k, v) -> m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
    return m.build();
  }

  private void claim(String name) {
    if (!names.add(requireNonNull(name, "name"))) {
      throw new IllegalArgumentException("name '" + name + "' is already used in this graph");
    }
  }

  private static ValueInfoProto valueInfo(String name, DataType type, Shape shape) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    long[] dims = shape.toArray();
    for (int i = 0; i < dims.length; i++) {
      s.addDim(
          dims[i] >= 0
              ? TensorShapeProto.Dimension.newBuilder().setDimValue(dims[i])
              : TensorShapeProto.Dimension.newBuilder()
                  .setDimParam(i == 0 ? "batch" : name + "_" + i));
    }
    return valueInfo(name, type, s);
  }

  private static ValueInfoProto valueInfo(String name, DataType type, TensorShapeProto.Builder s) {
    TypeProto.Tensor.Builder tensorType =
        TypeProto.Tensor.newBuilder().setElemType(OnnxTypes.toOnnx(type).getNumber()).setShape(s);
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(TypeProto.newBuilder().setTensorType(tensorType))
        .build();
  }

  private static AttributeProto attribute(String name, Object value) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name);
    switch (value) {
      case Integer i -> a.setType(AttributeProto.AttributeType.INT).setI(i);
      case Long l -> a.setType(AttributeProto.AttributeType.INT).setI(l);
      case Float f -> a.setType(AttributeProto.AttributeType.FLOAT).setF(f);
      case Double d -> a.setType(AttributeProto.AttributeType.FLOAT).setF(d.floatValue());
      case String s ->
          a.setType(AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(s));
      case int[] ints -> {
        a.setType(AttributeProto.AttributeType.INTS);
        for (int i : ints) {
          a.addInts(i);
        }
      }
      case long[] longs -> {
        a.setType(AttributeProto.AttributeType.INTS);
        for (long l : longs) {
          a.addInts(l);
        }
      }
      case float[] floats -> {
        a.setType(AttributeProto.AttributeType.FLOATS);
        for (float f : floats) {
          a.addFloats(f);
        }
      }
      case TensorProto t -> a.setType(AttributeProto.AttributeType.TENSOR).setT(t);
      default ->
          throw new IllegalArgumentException(
              "attribute '" + name + "': unsupported value type " + value.getClass().getName());
    }
    return a.build();
  }
}
