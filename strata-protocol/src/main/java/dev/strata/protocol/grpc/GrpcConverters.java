package dev.strata.protocol.grpc;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.strata.core.DataType;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.ModelMetadata;
import dev.strata.core.ModelStatistics;
import dev.strata.core.OutputRequest;
import dev.strata.core.RepositoryEntry;
import dev.strata.core.ServerMetadata;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import dev.strata.core.TensorSpec;
import dev.strata.protocol.OipNames;
import dev.strata.protocol.TimeoutParameter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Converts between the gRPC messages of {@code grpc_predict_v2.proto} and the core types, both
 * ways: a server decodes requests and encodes responses, a client the reverse. Stateless.
 *
 * <p>Tensor data: {@code raw_input_contents} and {@code raw_output_contents} are already the raw
 * little-endian form of {@link Tensor}, so they are wrapped, not copied; a message parsed with
 * aliasing ({@link ReceivedInferRequest}) leaves them in the network buffers, several of them for
 * large contents ({@link Tensor#ofSegments}). Outputs are always sent raw, as Triton does. Typed
 * {@code contents} are read too, checked for count and range; FP16 and BF16 have no typed field.
 *
 * <p>Parameters: bool, int64, string, double and uint64 become Boolean, Long, String, Double and
 * Long (BigInteger past Long's range). Consumed parameters are removed as the REST codec does: the
 * request's {@code timeout} (microseconds) and an output's {@code classification}. Input parameters
 * have no place in a core tensor and are dropped. {@link ModelMetadata#parameters()} has no field
 * in the gRPC message and is not sent.
 */
public final class GrpcConverters {
  private GrpcConverters() {}

  // ---- server side -------------------------------------------------------------------------

  /**
   * The request a {@code ModelInfer} call stands for.
   *
   * @param deadline the time left before the call's deadline, if it has one; the request's timeout
   *     is the shorter of that and its {@code timeout} parameter
   * @throws StrataException INVALID_ARGUMENT naming what is wrong
   */
  public static InferenceRequest inferenceRequest(
      ModelInferRequest request, Optional<Duration> deadline) {
    requireNonNull(request, "request");
    requireNonNull(deadline, "deadline");
    if (request.getModelName().isEmpty()) {
      throw StrataException.invalid("model_name: empty (expected: the model's name)");
    }
    int rawCount = request.getRawInputContentsCount();
    int inputCount = request.getInputsCount();
    if (rawCount != 0 && rawCount != inputCount) {
      throw StrataException.invalid(
          "raw_input_contents has %d entries for %d inputs (expected: one per input)",
          rawCount, inputCount);
    }
    List<Tensor> inputs = new ArrayList<>(inputCount);
    for (int i = 0; i < inputCount; i++) {
      ModelInferRequest.InferInputTensor in = request.getInputs(i);
      String label = label("input", i, in.getName());
      Shape shape = shape(label, in.getShapeCount(), in::getShape);
      ByteString raw = rawCount == 0 ? null : request.getRawInputContents(i);
      if (raw != null && in.hasContents()) {
        throw StrataException.invalid(
            "%s: has both contents and raw_input_contents (expected: one of them)", label);
      }
      inputs.add(
          tensor(
              label,
              in.getName(),
              in.getDatatype(),
              shape,
              raw,
              in.hasContents() ? in.getContents() : null));
    }
    List<OutputRequest> outputs = new ArrayList<>(request.getOutputsCount());
    for (int i = 0; i < request.getOutputsCount(); i++) {
      outputs.add(outputRequest(i, request.getOutputs(i)));
    }
    Map<String, Object> parameters = Parameters.fromInfer(request.getParametersMap());
    Optional<Duration> timeout = Optional.empty();
    if (parameters.containsKey(OipNames.TIMEOUT)) {
      parameters = new LinkedHashMap<>(parameters);
      timeout = TimeoutParameter.fromMicros(parameters.remove(OipNames.TIMEOUT));
    }
    if (deadline.isPresent()
        && (timeout.isEmpty() || deadline.get().compareTo(timeout.get()) < 0)) {
      timeout = deadline;
    }
    return new InferenceRequest(
        request.getModelName(),
        optional(request.getModelVersion()),
        request.getId(),
        inputs,
        outputs,
        parameters,
        timeout);
  }

  private static OutputRequest outputRequest(
      int index, ModelInferRequest.InferRequestedOutputTensor out) {
    String label = label("output", index, out.getName());
    if (out.getName().isEmpty()) {
      throw StrataException.invalid("%s: empty name", label);
    }
    Map<String, Object> parameters = Parameters.fromInfer(out.getParametersMap());
    int classification = 0;
    if (parameters.containsKey(OipNames.CLASSIFICATION)) {
      parameters = new LinkedHashMap<>(parameters);
      Object k = parameters.remove(OipNames.CLASSIFICATION);
      if (!(k instanceof Long l) || l < 0 || l > Integer.MAX_VALUE) {
        throw StrataException.invalid(
            "%s: parameters.%s: %s (expected: an integer >= 0)", label, OipNames.CLASSIFICATION, k);
      }
      classification = (int) (long) l;
    }
    return new OutputRequest(out.getName(), classification, parameters);
  }

  /** The response message: every output as raw contents, wrapped without a copy. */
  public static ModelInferResponse modelInferResponse(InferenceResponse response) {
    requireNonNull(response, "response");
    ModelInferResponse.Builder b =
        ModelInferResponse.newBuilder()
            .setModelName(response.model())
            .setModelVersion(response.version())
            .setId(response.id())
            .putAllParameters(Parameters.toInfer(response.parameters()));
    for (Tensor t : response.outputs()) {
      ModelInferResponse.InferOutputTensor.Builder o =
          b.addOutputsBuilder().setName(t.name()).setDatatype(t.datatype().wireName());
      for (int i = 0; i < t.shape().rank(); i++) {
        o.addShape(t.shape().dim(i));
      }
      b.addRawOutputContents(UnsafeByteOperations.unsafeWrap(t.data()));
    }
    return b.build();
  }

  public static ServerMetadataResponse serverMetadataResponse(ServerMetadata metadata) {
    return ServerMetadataResponse.newBuilder()
        .setName(metadata.name())
        .setVersion(metadata.version())
        .addAllExtensions(metadata.extensions())
        .build();
  }

  public static ModelMetadataResponse modelMetadataResponse(ModelMetadata metadata) {
    ModelMetadataResponse.Builder b =
        ModelMetadataResponse.newBuilder()
            .setName(metadata.name())
            .addAllVersions(metadata.versions())
            .setPlatform(metadata.platform());
    for (TensorSpec s : metadata.inputs()) {
      b.addInputs(tensorMetadata(s));
    }
    for (TensorSpec s : metadata.outputs()) {
      b.addOutputs(tensorMetadata(s));
    }
    return b.build();
  }

  private static ModelMetadataResponse.TensorMetadata tensorMetadata(TensorSpec s) {
    ModelMetadataResponse.TensorMetadata.Builder t =
        ModelMetadataResponse.TensorMetadata.newBuilder()
            .setName(s.name())
            .setDatatype(s.datatype().wireName());
    for (long d : s.shape().toArray()) {
      t.addShape(d);
    }
    return t.build();
  }

  public static ModelStatisticsResponse modelStatisticsResponse(List<ModelStatistics> stats) {
    ModelStatisticsResponse.Builder b = ModelStatisticsResponse.newBuilder();
    for (ModelStatistics s : stats) {
      ModelStatistics.InferenceStats i = s.inferenceStats();
      dev.strata.protocol.grpc.ModelStatistics.Builder m =
          b.addModelStatsBuilder()
              .setName(s.name())
              .setVersion(s.version())
              .setLastInference(s.lastInference())
              .setInferenceCount(s.inferenceCount())
              .setExecutionCount(s.executionCount())
              .setInferenceStats(
                  InferStatistics.newBuilder()
                      .setSuccess(duration(i.success()))
                      .setFail(duration(i.fail()))
                      .setQueue(duration(i.queue()))
                      .setComputeInput(duration(i.computeInput()))
                      .setComputeInfer(duration(i.computeInfer()))
                      .setComputeOutput(duration(i.computeOutput()))
                      .setCacheHit(duration(ModelStatistics.Duration.ZERO))
                      .setCacheMiss(duration(ModelStatistics.Duration.ZERO)));
      for (ModelStatistics.BatchStats bs : s.batchStats()) {
        m.addBatchStats(
            InferBatchStatistics.newBuilder()
                .setBatchSize(bs.batchSize())
                .setComputeInput(duration(bs.computeInput()))
                .setComputeInfer(duration(bs.computeInfer()))
                .setComputeOutput(duration(bs.computeOutput())));
      }
    }
    return b.build();
  }

  private static StatisticDuration duration(ModelStatistics.Duration d) {
    return d == null
        ? StatisticDuration.getDefaultInstance()
        : StatisticDuration.newBuilder().setCount(d.count()).setNs(d.ns()).build();
  }

  public static RepositoryIndexResponse repositoryIndexResponse(List<RepositoryEntry> entries) {
    RepositoryIndexResponse.Builder b = RepositoryIndexResponse.newBuilder();
    for (RepositoryEntry e : entries) {
      b.addModelsBuilder()
          .setName(e.name())
          .setVersion(e.version())
          .setState(e.state())
          .setReason(e.reason());
    }
    return b.build();
  }

  /** A load or unload request's parameters (bytes values as byte[]). */
  public static Map<String, Object> repositoryParameters(
      Map<String, ModelRepositoryParameter> parameters) {
    return Parameters.fromRepository(parameters);
  }

  /** The protocol's "empty means unset" for versions and names. */
  public static Optional<String> optional(String value) {
    return value.isEmpty() ? Optional.empty() : Optional.of(value);
  }

  // ---- client side -------------------------------------------------------------------------

  /**
   * The message for a request.
   *
   * @param raw send the inputs as {@code raw_input_contents}; false sends typed {@code contents},
   *     unless an input is FP16 or BF16, which have no typed field: the protocol does not allow
   *     mixing the two forms, so then every input goes raw
   */
  public static ModelInferRequest modelInferRequest(InferenceRequest request, boolean raw) {
    requireNonNull(request, "request");
    ModelInferRequest.Builder b =
        ModelInferRequest.newBuilder()
            .setModelName(request.model())
            .setModelVersion(request.version().orElse(""))
            .setId(request.id())
            .putAllParameters(Parameters.toInfer(request.parameters()));
    if (request.timeout().isPresent()) {
      b.putParameters(
          OipNames.TIMEOUT,
          InferParameter.newBuilder()
              .setInt64Param(TimeoutParameter.toMicros(request.timeout().get()))
              .build());
    }
    boolean typed = !raw;
    for (Tensor t : request.inputs()) {
      typed &= TypedContents.hasTypedField(t.datatype());
    }
    for (Tensor t : request.inputs()) {
      ModelInferRequest.InferInputTensor.Builder in =
          b.addInputsBuilder().setName(t.name()).setDatatype(t.datatype().wireName());
      for (int i = 0; i < t.shape().rank(); i++) {
        in.addShape(t.shape().dim(i));
      }
      if (typed) {
        in.setContents(TypedContents.encode(t));
      } else {
        b.addRawInputContents(UnsafeByteOperations.unsafeWrap(t.data()));
      }
    }
    for (OutputRequest o : request.outputs()) {
      ModelInferRequest.InferRequestedOutputTensor.Builder out =
          b.addOutputsBuilder().setName(o.name());
      out.putAllParameters(Parameters.toInfer(o.parameters()));
      if (o.classification() > 0) {
        out.putParameters(
            OipNames.CLASSIFICATION,
            InferParameter.newBuilder().setInt64Param(o.classification()).build());
      }
    }
    return b.build();
  }

  /**
   * The response a {@code ModelInfer} reply stands for.
   *
   * @throws StrataException INVALID_ARGUMENT when the message is inconsistent
   */
  public static InferenceResponse inferenceResponse(ModelInferResponse response) {
    requireNonNull(response, "response");
    int rawCount = response.getRawOutputContentsCount();
    int count = response.getOutputsCount();
    if (rawCount != 0 && rawCount != count) {
      throw StrataException.invalid(
          "raw_output_contents has %d entries for %d outputs (expected: one per output)",
          rawCount, count);
    }
    List<Tensor> outputs = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      ModelInferResponse.InferOutputTensor out = response.getOutputs(i);
      String label = label("output", i, out.getName());
      Shape shape = shape(label, out.getShapeCount(), out::getShape);
      outputs.add(
          tensor(
              label,
              out.getName(),
              out.getDatatype(),
              shape,
              rawCount == 0 ? null : response.getRawOutputContents(i),
              out.hasContents() ? out.getContents() : null));
    }
    return new InferenceResponse(
        response.getModelName(),
        response.getModelVersion(),
        response.getId(),
        outputs,
        Parameters.fromInfer(response.getParametersMap()));
  }

  public static ServerMetadata serverMetadata(ServerMetadataResponse response) {
    return new ServerMetadata(
        response.getName(), response.getVersion(), response.getExtensionsList());
  }

  public static ModelMetadata modelMetadata(ModelMetadataResponse response) {
    return new ModelMetadata(
        response.getName(),
        response.getVersionsList(),
        response.getPlatform(),
        specs(response.getInputsList()),
        specs(response.getOutputsList()),
        Map.of());
  }

  private static List<TensorSpec> specs(List<ModelMetadataResponse.TensorMetadata> tensors) {
    List<TensorSpec> out = new ArrayList<>(tensors.size());
    for (ModelMetadataResponse.TensorMetadata t : tensors) {
      long[] dims = new long[t.getShapeCount()];
      for (int i = 0; i < dims.length; i++) {
        dims[i] = t.getShape(i);
      }
      out.add(new TensorSpec(t.getName(), DataType.fromWireName(t.getDatatype()), Shape.of(dims)));
    }
    return out;
  }

  public static List<ModelStatistics> modelStatistics(ModelStatisticsResponse response) {
    List<ModelStatistics> out = new ArrayList<>(response.getModelStatsCount());
    for (dev.strata.protocol.grpc.ModelStatistics m : response.getModelStatsList()) {
      InferStatistics i = m.getInferenceStats();
      List<ModelStatistics.BatchStats> batches = new ArrayList<>(m.getBatchStatsCount());
      for (InferBatchStatistics bs : m.getBatchStatsList()) {
        batches.add(
            new ModelStatistics.BatchStats(
                (int) bs.getBatchSize(),
                duration(bs.getComputeInput()),
                duration(bs.getComputeInfer()),
                duration(bs.getComputeOutput())));
      }
      out.add(
          new ModelStatistics(
              m.getName(),
              m.getVersion(),
              m.getLastInference(),
              m.getInferenceCount(),
              m.getExecutionCount(),
              new ModelStatistics.InferenceStats(
                  duration(i.getSuccess()),
                  duration(i.getFail()),
                  duration(i.getQueue()),
                  duration(i.getComputeInput()),
                  duration(i.getComputeInfer()),
                  duration(i.getComputeOutput())),
              batches));
    }
    return out;
  }

  private static ModelStatistics.Duration duration(StatisticDuration d) {
    return new ModelStatistics.Duration(d.getCount(), d.getNs());
  }

  public static List<RepositoryEntry> repositoryIndex(RepositoryIndexResponse response) {
    List<RepositoryEntry> out = new ArrayList<>(response.getModelsCount());
    for (RepositoryIndexResponse.ModelIndex m : response.getModelsList()) {
      out.add(new RepositoryEntry(m.getName(), m.getVersion(), m.getState(), m.getReason()));
    }
    return out;
  }

  /** A load or unload request's parameters as the message's map. */
  public static Map<String, ModelRepositoryParameter> modelRepositoryParameters(
      Map<String, Object> parameters) {
    return Parameters.toRepository(parameters);
  }

  // ---- tensors -----------------------------------------------------------------------------

  private static String label(String role, int index, String name) {
    return name.isEmpty() ? role + "s[" + index + "]" : role + " '" + name + "'";
  }

  private interface Dim {
    long get(int i);
  }

  private static Shape shape(String label, int rank, Dim dims) {
    long[] d = new long[rank];
    for (int i = 0; i < rank; i++) {
      d[i] = dims.get(i);
      if (d[i] < 0) {
        throw StrataException.invalid(
            "%s: shape dimension %d is %d (expected: >= 0)", label, i, d[i]);
      }
    }
    return Shape.of(d);
  }

  private static Tensor tensor(
      String label,
      String name,
      String datatype,
      Shape shape,
      ByteString raw,
      InferTensorContents contents) {
    if (name.isEmpty()) {
      throw StrataException.invalid("%s: empty name", label);
    }
    DataType type;
    try {
      type = DataType.fromWireName(datatype);
    } catch (StrataException e) {
      throw StrataException.invalid("%s: %s", label, e.getMessage());
    }
    long elements;
    try {
      elements = shape.numElements();
    } catch (ArithmeticException e) {
      throw StrataException.invalid("%s: shape %s has too many elements", label, shape);
    }
    ByteBuffer data;
    if (raw != null) {
      if (type.isFixedSize() && raw.size() != elements * type.byteSize()) {
        throw StrataException.invalid(
            "%s: raw contents has %d bytes for %s shape %s (expected: %d)",
            label, raw.size(), type, shape, elements * type.byteSize());
      }
      try {
        // an aliased ByteString of several network buffers is viewed as it lies, not joined
        return Tensor.ofSegments(name, type, shape, raw.asReadOnlyByteBufferList());
      } catch (StrataException e) {
        throw StrataException.invalid("%s: %s", label, e.getMessage());
      }
    } else if (contents != null) {
      data = TypedContents.decode(label, type, shape, elements, contents);
    } else if (elements == 0) {
      data = ByteBuffer.allocate(0);
    } else {
      throw StrataException.invalid(
          "%s: no data (expected: contents or raw contents for shape %s)", label, shape);
    }
    try {
      return new Tensor(name, type, shape, data);
    } catch (StrataException e) {
      throw StrataException.invalid("%s: %s", label, e.getMessage());
    }
  }
}
