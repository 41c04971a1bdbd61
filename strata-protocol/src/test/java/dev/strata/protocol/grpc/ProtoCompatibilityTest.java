package dev.strata.protocol.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Pins our proto to the published one, field by field: a stock KServe or Triton client works only
 * if every message, field number and wire type is the same. The tables below are written from
 * KServe's grpc_predict_v2.proto and Triton's grpc_service.proto (with InferParameter's
 * double_param and uint64_param, and the statistics, repository and model configuration messages;
 * ModelConfig itself is pinned by strata-modelconfig's ModelConfigSchemaTest).
 */
class ProtoCompatibilityTest {

  /** "Message.field number type", repeated as "repeated type", maps as "map<key,value>". */
  private static final List<String> PUBLISHED =
      List.of(
          "ServerLiveResponse.live 1 bool",
          "ServerReadyResponse.ready 1 bool",
          "ModelReadyRequest.name 1 string",
          "ModelReadyRequest.version 2 string",
          "ModelReadyResponse.ready 1 bool",
          "ServerMetadataResponse.name 1 string",
          "ServerMetadataResponse.version 2 string",
          "ServerMetadataResponse.extensions 3 repeated string",
          "ModelMetadataRequest.name 1 string",
          "ModelMetadataRequest.version 2 string",
          "ModelMetadataResponse.name 1 string",
          "ModelMetadataResponse.versions 2 repeated string",
          "ModelMetadataResponse.platform 3 string",
          "ModelMetadataResponse.inputs 4 repeated inference.ModelMetadataResponse.TensorMetadata",
          "ModelMetadataResponse.outputs 5 repeated inference.ModelMetadataResponse.TensorMetadata",
          "ModelMetadataResponse.TensorMetadata.name 1 string",
          "ModelMetadataResponse.TensorMetadata.datatype 2 string",
          "ModelMetadataResponse.TensorMetadata.shape 3 repeated int64",
          "ModelConfigRequest.name 1 string",
          "ModelConfigRequest.version 2 string",
          "ModelConfigResponse.config 1 inference.ModelConfig",
          "InferParameter.bool_param 1 bool",
          "InferParameter.int64_param 2 int64",
          "InferParameter.string_param 3 string",
          "InferParameter.double_param 4 double",
          "InferParameter.uint64_param 5 uint64",
          "InferTensorContents.bool_contents 1 repeated bool",
          "InferTensorContents.int_contents 2 repeated int32",
          "InferTensorContents.int64_contents 3 repeated int64",
          "InferTensorContents.uint_contents 4 repeated uint32",
          "InferTensorContents.uint64_contents 5 repeated uint64",
          "InferTensorContents.fp32_contents 6 repeated float",
          "InferTensorContents.fp64_contents 7 repeated double",
          "InferTensorContents.bytes_contents 8 repeated bytes",
          "ModelInferRequest.model_name 1 string",
          "ModelInferRequest.model_version 2 string",
          "ModelInferRequest.id 3 string",
          "ModelInferRequest.parameters 4 map<string,inference.InferParameter>",
          "ModelInferRequest.inputs 5 repeated inference.ModelInferRequest.InferInputTensor",
          "ModelInferRequest.outputs 6 repeated"
              + " inference.ModelInferRequest.InferRequestedOutputTensor",
          "ModelInferRequest.raw_input_contents 7 repeated bytes",
          "ModelInferRequest.InferInputTensor.name 1 string",
          "ModelInferRequest.InferInputTensor.datatype 2 string",
          "ModelInferRequest.InferInputTensor.shape 3 repeated int64",
          "ModelInferRequest.InferInputTensor.parameters 4 map<string,inference.InferParameter>",
          "ModelInferRequest.InferInputTensor.contents 5 inference.InferTensorContents",
          "ModelInferRequest.InferRequestedOutputTensor.name 1 string",
          "ModelInferRequest.InferRequestedOutputTensor.parameters 2"
              + " map<string,inference.InferParameter>",
          "ModelInferResponse.model_name 1 string",
          "ModelInferResponse.model_version 2 string",
          "ModelInferResponse.id 3 string",
          "ModelInferResponse.parameters 4 map<string,inference.InferParameter>",
          "ModelInferResponse.outputs 5 repeated inference.ModelInferResponse.InferOutputTensor",
          "ModelInferResponse.raw_output_contents 6 repeated bytes",
          "ModelInferResponse.InferOutputTensor.name 1 string",
          "ModelInferResponse.InferOutputTensor.datatype 2 string",
          "ModelInferResponse.InferOutputTensor.shape 3 repeated int64",
          "ModelInferResponse.InferOutputTensor.parameters 4 map<string,inference.InferParameter>",
          "ModelInferResponse.InferOutputTensor.contents 5 inference.InferTensorContents",
          "ModelStatisticsRequest.name 1 string",
          "ModelStatisticsRequest.version 2 string",
          "StatisticDuration.count 1 uint64",
          "StatisticDuration.ns 2 uint64",
          "InferStatistics.success 1 inference.StatisticDuration",
          "InferStatistics.fail 2 inference.StatisticDuration",
          "InferStatistics.queue 3 inference.StatisticDuration",
          "InferStatistics.compute_input 4 inference.StatisticDuration",
          "InferStatistics.compute_infer 5 inference.StatisticDuration",
          "InferStatistics.compute_output 6 inference.StatisticDuration",
          "InferStatistics.cache_hit 7 inference.StatisticDuration",
          "InferStatistics.cache_miss 8 inference.StatisticDuration",
          "InferBatchStatistics.batch_size 1 uint64",
          "InferBatchStatistics.compute_input 2 inference.StatisticDuration",
          "InferBatchStatistics.compute_infer 3 inference.StatisticDuration",
          "InferBatchStatistics.compute_output 4 inference.StatisticDuration",
          "MemoryUsage.type 1 string",
          "MemoryUsage.id 2 int64",
          "MemoryUsage.byte_size 3 uint64",
          "ModelStatistics.name 1 string",
          "ModelStatistics.version 2 string",
          "ModelStatistics.last_inference 3 uint64",
          "ModelStatistics.inference_count 4 uint64",
          "ModelStatistics.execution_count 5 uint64",
          "ModelStatistics.inference_stats 6 inference.InferStatistics",
          "ModelStatistics.batch_stats 7 repeated inference.InferBatchStatistics",
          "ModelStatistics.memory_usage 8 repeated inference.MemoryUsage",
          "ModelStatisticsResponse.model_stats 1 repeated inference.ModelStatistics",
          "ModelRepositoryParameter.bool_param 1 bool",
          "ModelRepositoryParameter.int64_param 2 int64",
          "ModelRepositoryParameter.string_param 3 string",
          "ModelRepositoryParameter.bytes_param 4 bytes",
          "RepositoryIndexRequest.repository_name 1 string",
          "RepositoryIndexRequest.ready 2 bool",
          "RepositoryIndexResponse.models 1 repeated inference.RepositoryIndexResponse.ModelIndex",
          "RepositoryIndexResponse.ModelIndex.name 1 string",
          "RepositoryIndexResponse.ModelIndex.version 2 string",
          "RepositoryIndexResponse.ModelIndex.state 3 string",
          "RepositoryIndexResponse.ModelIndex.reason 4 string",
          "RepositoryModelLoadRequest.repository_name 1 string",
          "RepositoryModelLoadRequest.model_name 2 string",
          "RepositoryModelLoadRequest.parameters 3 map<string,inference.ModelRepositoryParameter>",
          "RepositoryModelUnloadRequest.repository_name 1 string",
          "RepositoryModelUnloadRequest.model_name 2 string",
          "RepositoryModelUnloadRequest.parameters 3"
              + " map<string,inference.ModelRepositoryParameter>");

  /** "Method request response", all under /inference.GRPCInferenceService/. */
  private static final List<String> PUBLISHED_METHODS =
      List.of(
          "ServerLive ServerLiveRequest ServerLiveResponse",
          "ServerReady ServerReadyRequest ServerReadyResponse",
          "ModelReady ModelReadyRequest ModelReadyResponse",
          "ServerMetadata ServerMetadataRequest ServerMetadataResponse",
          "ModelMetadata ModelMetadataRequest ModelMetadataResponse",
          "ModelConfig ModelConfigRequest ModelConfigResponse",
          "ModelInfer ModelInferRequest ModelInferResponse",
          "ModelStatistics ModelStatisticsRequest ModelStatisticsResponse",
          "RepositoryIndex RepositoryIndexRequest RepositoryIndexResponse",
          "RepositoryModelLoad RepositoryModelLoadRequest RepositoryModelLoadResponse",
          "RepositoryModelUnload RepositoryModelUnloadRequest RepositoryModelUnloadResponse");

  @Test
  void everyFieldHasThePublishedNumberAndType() {
    List<String> ours = new ArrayList<>();
    for (Descriptor d : GrpcPredictV2.getDescriptor().getMessageTypes()) {
      describe(d, ours);
    }
    assertThat(new TreeSet<>(ours)).isEqualTo(new TreeSet<>(PUBLISHED));
  }

  private static void describe(Descriptor d, List<String> out) {
    if (d.getOptions().getMapEntry()) {
      return;
    }
    String message = d.getFullName().substring("inference.".length());
    for (FieldDescriptor f : d.getFields()) {
      out.add(message + "." + f.getName() + " " + f.getNumber() + " " + type(f));
    }
    for (Descriptor nested : d.getNestedTypes()) {
      describe(nested, out);
    }
  }

  private static String type(FieldDescriptor f) {
    if (f.isMapField()) {
      Descriptor entry = f.getMessageType();
      return "map<"
          + type(entry.findFieldByName("key"))
          + ","
          + type(entry.findFieldByName("value"))
          + ">";
    }
    String base =
        f.getType() == FieldDescriptor.Type.MESSAGE
            ? f.getMessageType().getFullName()
            : f.getType().name().toLowerCase(java.util.Locale.ROOT);
    return f.isRepeated() ? "repeated " + base : base;
  }

  @Test
  void serviceHasThePublishedNameAndMethods() {
    ServiceDescriptor s = GrpcPredictV2.getDescriptor().findServiceByName("GRPCInferenceService");
    assertThat(s.getFullName()).isEqualTo("inference.GRPCInferenceService");
    List<String> methods = new ArrayList<>();
    for (MethodDescriptor m : s.getMethods()) {
      assertThat(m.isClientStreaming() || m.isServerStreaming()).isFalse();
      methods.add(
          m.getName() + " " + m.getInputType().getName() + " " + m.getOutputType().getName());
    }
    assertThat(methods).containsExactlyInAnyOrderElementsOf(PUBLISHED_METHODS);
    assertThat(GRPCInferenceServiceGrpc.getModelInferMethod().getFullMethodName())
        .isEqualTo("inference.GRPCInferenceService/ModelInfer");
    assertThat(GRPCInferenceServiceGrpc.SERVICE_NAME).isEqualTo("inference.GRPCInferenceService");
  }

  /** Bytes written by hand from the published field numbers parse as the intended request. */
  @Test
  void parsesAHandEncodedRequest() throws Exception {
    ByteArrayOutputStream input = new ByteArrayOutputStream();
    CodedOutputStream in = CodedOutputStream.newInstance(input);
    in.writeString(1, "x");
    in.writeString(2, "FP32");
    in.writeInt64(3, 2);
    in.flush();

    ByteArrayOutputStream param = new ByteArrayOutputStream();
    CodedOutputStream p = CodedOutputStream.newInstance(param);
    p.writeUInt64(5, 7);
    p.flush();
    ByteArrayOutputStream entry = new ByteArrayOutputStream();
    CodedOutputStream e = CodedOutputStream.newInstance(entry);
    e.writeString(1, "n");
    e.writeBytes(2, ByteString.copyFrom(param.toByteArray()));
    e.flush();

    ByteArrayOutputStream request = new ByteArrayOutputStream();
    CodedOutputStream r = CodedOutputStream.newInstance(request);
    r.writeString(1, "mnist");
    r.writeString(2, "3");
    r.writeString(3, "id-1");
    r.writeBytes(4, ByteString.copyFrom(entry.toByteArray()));
    r.writeBytes(5, ByteString.copyFrom(input.toByteArray()));
    r.writeBytes(7, ByteString.copyFrom(new byte[] {0, 0, (byte) 0x80, 0x3f, 0, 0, 0, 0x40}));
    r.flush();

    ModelInferRequest parsed = ModelInferRequest.parseFrom(request.toByteArray());
    assertThat(parsed.getModelName()).isEqualTo("mnist");
    assertThat(parsed.getModelVersion()).isEqualTo("3");
    assertThat(parsed.getId()).isEqualTo("id-1");
    assertThat(parsed.getParametersOrThrow("n").getUint64Param()).isEqualTo(7);
    assertThat(parsed.getInputs(0).getShapeList()).containsExactly(2L);
    assertThat(parsed.getUnknownFields().asMap()).isEmpty();
    assertThat(
            GrpcConverters.inferenceRequest(parsed, java.util.Optional.empty())
                .inputs()
                .get(0)
                .floats())
        .containsExactly(1f, 2f);
  }
}
