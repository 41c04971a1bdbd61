package dev.strata.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.ExtensionRegistryLite;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import dev.strata.core.AtomicFiles;
import dev.strata.core.ErrorCode;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.StrataVersion;
import dev.strata.core.TensorSpec;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads, writes and inspects ONNX model files. */
public final class OnnxModels {
  /** What Strata writes as {@code producer_version}. */
  public static final String PRODUCER_VERSION = StrataVersion.get();

  private OnnxModels() {}

  /**
   * Reads a model file.
   *
   * @throws StrataException INVALID_ARGUMENT naming the file when it is not a valid ONNX model
   */
  public static ModelProto read(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      ModelProto m = ModelProto.parseFrom(in);
      if (!m.hasGraph()) {
        throw StrataException.invalid("%s: not an ONNX model (no graph)", file);
      }
      return m;
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new StrataException(
          dev.strata.core.ErrorCode.INVALID_ARGUMENT,
          file + ": not an ONNX model (" + e.getMessage() + ")",
          e);
    }
  }

  /**
   * Reads what describes a model without its weights: the graph's inputs, outputs and initializer
   * names, and the model's metadata, streaming past everything else. {@link #inputs}, {@link
   * #outputs} and {@link #metadata} give the same answers on it as on {@link #read}'s model, but
   * describing a model allocates kilobytes instead of the model's size, which matters to a server
   * that loads and unloads large models (its heap would otherwise grow with the garbage).
   *
   * @throws StrataException INVALID_ARGUMENT naming the file when it is not a valid ONNX model
   */
  public static ModelProto readDescription(Path file) throws IOException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      CodedInputStream c = CodedInputStream.newInstance(in);
      c.setSizeLimit(Integer.MAX_VALUE);
      ModelProto.Builder model = ModelProto.newBuilder();
      int tag;
      while ((tag = c.readTag()) != 0) {
        if (isMessage(tag, ModelProto.GRAPH_FIELD_NUMBER)) {
          int limit = c.pushLimit(c.readRawVarint32());
          model.setGraph(graphDescription(c));
          c.popLimit(limit);
        } else if (isMessage(tag, ModelProto.METADATA_PROPS_FIELD_NUMBER)) {
          c.readMessage(model.addMetadataPropsBuilder(), ExtensionRegistryLite.getEmptyRegistry());
        } else {
          c.skipField(tag);
        }
      }
      if (!model.hasGraph()) {
        throw StrataException.invalid("%s: not an ONNX model (no graph)", file);
      }
      return model.build();
    } catch (InvalidProtocolBufferException e) {
      throw new StrataException(
          ErrorCode.INVALID_ARGUMENT, file + ": not an ONNX model (" + e.getMessage() + ")", e);
    }
  }

  private static GraphProto graphDescription(CodedInputStream c) throws IOException {
    GraphProto.Builder graph = GraphProto.newBuilder();
    ExtensionRegistryLite none = ExtensionRegistryLite.getEmptyRegistry();
    int tag;
    while ((tag = c.readTag()) != 0) {
      if (isMessage(tag, GraphProto.INPUT_FIELD_NUMBER)) {
        c.readMessage(graph.addInputBuilder(), none);
      } else if (isMessage(tag, GraphProto.OUTPUT_FIELD_NUMBER)) {
        c.readMessage(graph.addOutputBuilder(), none);
      } else if (isMessage(tag, GraphProto.INITIALIZER_FIELD_NUMBER)) {
        graph.addInitializer(TensorProto.newBuilder().setName(tensorName(c)));
      } else if (isMessage(tag, GraphProto.SPARSE_INITIALIZER_FIELD_NUMBER)) {
        // A sparse initializer's name is its values tensor's (field 1 of SparseTensorProto).
        int limit = c.pushLimit(c.readRawVarint32());
        int inner;
        while ((inner = c.readTag()) != 0) {
          if (isMessage(inner, 1)) {
            graph.addInitializer(TensorProto.newBuilder().setName(tensorName(c)));
          } else {
            c.skipField(inner);
          }
        }
        c.popLimit(limit);
      } else {
        c.skipField(tag);
      }
    }
    return graph.build();
  }

  /** The name of the length-delimited TensorProto at the stream's position, skipping its data. */
  private static String tensorName(CodedInputStream c) throws IOException {
    int limit = c.pushLimit(c.readRawVarint32());
    String name = "";
    int tag;
    while ((tag = c.readTag()) != 0) {
      if (isMessage(tag, TensorProto.NAME_FIELD_NUMBER)) {
        name = c.readString();
      } else {
        c.skipField(tag);
      }
    }
    c.popLimit(limit);
    return name;
  }

  private static boolean isMessage(int tag, int field) {
    return WireFormat.getTagFieldNumber(tag) == field
        && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
  }

  /** Writes a model file atomically (temp file, fsync, rename). */
  public static void write(ModelProto model, Path file) throws IOException {
    AtomicFiles.write(file, model::writeTo);
  }

  /** The model's {@code metadata_props} in file order. */
  public static Map<String, String> metadata(ModelProto model) {
    Map<String, String> out = new LinkedHashMap<>();
    for (StringStringEntryProto e : model.getMetadataPropsList()) {
      out.put(e.getKey(), e.getValue());
    }
    return out;
  }

  /** A copy of the model with these metadata entries added or replaced. */
  public static ModelProto withMetadata(ModelProto model, Map<String, String> entries) {
    Map<String, String> merged = metadata(model);
    merged.putAll(entries);
    ModelProto.Builder b = model.toBuilder().clearMetadataProps();
    merged.forEach(
        (k, v) -> b.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
    return b.build();
  }

  /** The graph inputs that are not initializers, with -1 for symbolic or unknown dimensions. */
  public static List<TensorSpec> inputs(ModelProto model) {
    Set<String> initializers = new HashSet<>();
    model.getGraph().getInitializerList().forEach(t -> initializers.add(t.getName()));
    List<TensorSpec> out = new ArrayList<>();
    for (ValueInfoProto v : model.getGraph().getInputList()) {
      if (!initializers.contains(v.getName())) {
        out.add(spec(v));
      }
    }
    return out;
  }

  /**
   * The symbolic dimension names ({@code dim_param}) of the graph inputs that are not initializers,
   * by input name, one entry per axis: empty where the axis is fixed or unnamed. Two axes with the
   * same name must have the same size in every run (ONNX's meaning of {@code dim_param}).
   */
  public static Map<String, List<String>> inputDimNames(ModelProto model) {
    Set<String> initializers = new HashSet<>();
    model.getGraph().getInitializerList().forEach(t -> initializers.add(t.getName()));
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (ValueInfoProto v : model.getGraph().getInputList()) {
      if (!initializers.contains(v.getName()) && v.getType().hasTensorType()) {
        List<String> names = new ArrayList<>();
        for (TensorShapeProto.Dimension d : v.getType().getTensorType().getShape().getDimList()) {
          names.add(d.hasDimParam() && !d.hasDimValue() ? d.getDimParam() : "");
        }
        out.put(v.getName(), List.copyOf(names));
      }
    }
    return out;
  }

  public static List<TensorSpec> outputs(ModelProto model) {
    List<TensorSpec> out = new ArrayList<>();
    for (ValueInfoProto v : model.getGraph().getOutputList()) {
      out.add(spec(v));
    }
    return out;
  }

  private static TensorSpec spec(ValueInfoProto v) {
    if (!v.getType().hasTensorType()) {
      throw StrataException.invalid("value '%s' is not a tensor", v.getName());
    }
    var tt = v.getType().getTensorType();
    List<TensorShapeProto.Dimension> dims = tt.getShape().getDimList();
    long[] shape = new long[dims.size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = dims.get(i).hasDimValue() ? dims.get(i).getDimValue() : -1;
    }
    return new TensorSpec(v.getName(), OnnxTypes.fromOnnx(tt.getElemType()), Shape.of(shape));
  }
}
