package dev.strata.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.strata.core.AtomicFiles;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.StrataVersion;
import dev.strata.core.TensorSpec;
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
