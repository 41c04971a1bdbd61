package dev.strata.protocol.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.strata.core.DataType;
import dev.strata.core.ErrorCode;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.ModelMetadata;
import dev.strata.core.OutputRequest;
import dev.strata.core.RepositoryEntry;
import dev.strata.core.ServerMetadata;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import dev.strata.core.TensorSpec;
import dev.strata.core.testing.SampleStatistics;
import dev.strata.core.testing.Tensors;
import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class GrpcConvertersTest {

  private static InferenceRequest request(Tensor input) {
    return new InferenceRequest(
        "m",
        Optional.of("4"),
        "id-9",
        List.of(input),
        List.of(new OutputRequest("probs", 2, Map.of("x", "y"))),
        Map.of(
            "b",
            true,
            "i",
            -3L,
            "s",
            "str",
            "d",
            0.25,
            "u",
            new BigInteger("18446744073709551615")),
        Optional.of(Duration.ofMillis(40)));
  }

  @ParameterizedTest
  @EnumSource(DataType.class)
  void requestRoundTripsRaw(DataType type) throws Exception {
    roundTrip(type, true);
  }

  @ParameterizedTest
  @EnumSource(DataType.class)
  void requestRoundTripsTyped(DataType type) throws Exception {
    roundTrip(type, false);
  }

  private void roundTrip(DataType type, boolean raw) throws Exception {
    Tensor in = Tensors.sample("x", type);
    ModelInferRequest message = GrpcConverters.modelInferRequest(request(in), raw);
    boolean sentRaw = raw || type == DataType.FP16 || type == DataType.BF16;
    assertThat(message.getRawInputContentsCount()).isEqualTo(sentRaw ? 1 : 0);
    assertThat(message.getInputs(0).hasContents()).isEqualTo(!sentRaw);

    InferenceRequest back =
        GrpcConverters.inferenceRequest(
            ModelInferRequest.parseFrom(message.toByteString()), Optional.empty());
    assertThat(back.model()).isEqualTo("m");
    assertThat(back.version()).contains("4");
    assertThat(back.id()).isEqualTo("id-9");
    assertThat(back.timeout()).contains(Duration.ofMillis(40));
    assertThat(back.parameters())
        .isEqualTo(
            Map.of(
                "b",
                true,
                "i",
                -3L,
                "s",
                "str",
                "d",
                0.25,
                "u",
                new BigInteger("18446744073709551615")));
    Tensor x = back.inputs().get(0);
    assertThat(x.datatype()).isEqualTo(type);
    assertThat(x.shape()).isEqualTo(in.shape());
    assertThat(Tensors.bytes(x)).isEqualTo(Tensors.bytes(in));
    assertThat(back.outputs()).containsExactly(new OutputRequest("probs", 2, Map.of("x", "y")));
  }

  @ParameterizedTest
  @EnumSource(DataType.class)
  void responseRoundTripsRaw(DataType type) throws Exception {
    Tensor t = Tensors.sample("y", type);
    InferenceResponse r = new InferenceResponse("m", "1", "q", List.of(t), Map.of("p", 1L));
    ModelInferResponse message = GrpcConverters.modelInferResponse(r);
    assertThat(message.getRawOutputContentsCount()).isEqualTo(1);
    InferenceResponse back =
        GrpcConverters.inferenceResponse(ModelInferResponse.parseFrom(message.toByteArray()));
    assertThat(back.model()).isEqualTo("m");
    assertThat(back.version()).isEqualTo("1");
    assertThat(back.id()).isEqualTo("q");
    assertThat(back.parameters()).isEqualTo(Map.of("p", 1L));
    assertThat(Tensors.bytes(back.outputs().get(0))).isEqualTo(Tensors.bytes(t));
    assertThat(back.outputs().get(0).shape()).isEqualTo(t.shape());
  }

  @Test
  void responseReadsTypedContentsToo() {
    ModelInferResponse message =
        ModelInferResponse.newBuilder()
            .setModelName("m")
            .addOutputs(
                ModelInferResponse.InferOutputTensor.newBuilder()
                    .setName("labels")
                    .setDatatype("BYTES")
                    .addShape(2)
                    .setContents(
                        InferTensorContents.newBuilder()
                            .addBytesContents(ByteString.copyFromUtf8("3.3:1"))
                            .addBytesContents(ByteString.copyFromUtf8("2.4:3"))))
            .build();
    assertThat(GrpcConverters.inferenceResponse(message).outputs().get(0).strings())
        .containsExactly("3.3:1", "2.4:3");
  }

  @Test
  void deadlineAndTimeoutParameterTakeTheShorter() {
    ModelInferRequest m =
        GrpcConverters.modelInferRequest(
            new InferenceRequest(
                "m",
                Optional.empty(),
                "",
                List.of(),
                List.of(),
                Map.of(),
                Optional.of(Duration.ofSeconds(2))),
            true);
    assertThat(m.getParametersOrThrow("timeout").getInt64Param()).isEqualTo(2_000_000);
    assertThat(GrpcConverters.inferenceRequest(m, Optional.of(Duration.ofMillis(500))).timeout())
        .contains(Duration.ofMillis(500));
    assertThat(GrpcConverters.inferenceRequest(m, Optional.of(Duration.ofSeconds(9))).timeout())
        .contains(Duration.ofSeconds(2));
    ModelInferRequest none = m.toBuilder().clearParameters().build();
    assertThat(GrpcConverters.inferenceRequest(none, Optional.empty()).timeout()).isEmpty();
    assertThat(GrpcConverters.inferenceRequest(none, Optional.of(Duration.ofMillis(7))).timeout())
        .contains(Duration.ofMillis(7));
    assertThat(GrpcConverters.inferenceRequest(m, Optional.empty()).parameters()).isEmpty();
  }

  @Test
  void classificationAcceptsTritonsInt64Parameter() {
    ModelInferRequest m =
        ModelInferRequest.newBuilder()
            .setModelName("m")
            .addOutputs(
                ModelInferRequest.InferRequestedOutputTensor.newBuilder()
                    .setName("probs")
                    .putParameters(
                        "classification", InferParameter.newBuilder().setInt64Param(3).build()))
            .build();
    OutputRequest o = GrpcConverters.inferenceRequest(m, Optional.empty()).outputs().get(0);
    assertThat(o.classification()).isEqualTo(3);
    assertThat(o.parameters()).isEmpty();
  }

  // ---- bad requests ------------------------------------------------------------------------

  private static ModelInferRequest.Builder oneInput(String datatype, long... shape) {
    ModelInferRequest.InferInputTensor.Builder in =
        ModelInferRequest.InferInputTensor.newBuilder().setName("x").setDatatype(datatype);
    for (long d : shape) {
      in.addShape(d);
    }
    return ModelInferRequest.newBuilder().setModelName("m").addInputs(in);
  }

  private static void rejects(ModelInferRequest.Builder b, String message) {
    assertThatThrownBy(() -> GrpcConverters.inferenceRequest(b.build(), Optional.empty()))
        .isInstanceOfSatisfying(
            StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining(message);
  }

  @Test
  void badRequestsAreNamed() {
    rejects(ModelInferRequest.newBuilder(), "model_name: empty");
    rejects(
        oneInput("FP32", 2).addRawInputContents(ByteString.copyFrom(new byte[4])),
        "input 'x': raw contents has 4 bytes for FP32 shape [2] (expected: 8)");
    rejects(
        oneInput("FP32", 1)
            .addRawInputContents(ByteString.copyFrom(new byte[4]))
            .addRawInputContents(ByteString.copyFrom(new byte[4])),
        "raw_input_contents has 2 entries for 1 inputs (expected: one per input)");
    rejects(oneInput("FP32", 2), "input 'x': no data (expected: contents or raw contents");
    rejects(oneInput("FLOAT9", 1), "input 'x': datatype: 'FLOAT9'");
    rejects(oneInput("FP32", -1), "input 'x': shape dimension 0 is -1 (expected: >= 0)");
    ModelInferRequest.Builder both = oneInput("FP32", 1);
    both.getInputsBuilder(0).setContents(InferTensorContents.newBuilder().addFp32Contents(1));
    both.addRawInputContents(ByteString.copyFrom(new byte[4]));
    rejects(both, "input 'x': has both contents and raw_input_contents");
  }

  @Test
  void badTypedContentsAreNamed() {
    ModelInferRequest.Builder count = oneInput("FP32", 3);
    count.getInputsBuilder(0).setContents(InferTensorContents.newBuilder().addFp32Contents(1));
    rejects(count, "input 'x': contents.fp32_contents has 1 values for shape [3] (expected: 3)");

    ModelInferRequest.Builder range = oneInput("INT8", 2);
    range
        .getInputsBuilder(0)
        .setContents(InferTensorContents.newBuilder().addIntContents(1).addIntContents(200));
    rejects(range, "input 'x': element 1, 200, is out of range for INT8 (expected: -128..127)");

    ModelInferRequest.Builder urange = oneInput("UINT16", 1);
    urange.getInputsBuilder(0).setContents(InferTensorContents.newBuilder().addUintContents(70000));
    rejects(urange, "input 'x': element 0, 70000, is out of range for UINT16 (expected: 0..65535)");

    ModelInferRequest.Builder wrongField = oneInput("INT32", 1);
    wrongField.getInputsBuilder(0).setContents(InferTensorContents.newBuilder().addFp32Contents(1));
    rejects(
        wrongField,
        "input 'x': contents has values in a field other than the one for INT32 (int_contents)");

    ModelInferRequest.Builder half = oneInput("FP16", 1);
    half.getInputsBuilder(0).setContents(InferTensorContents.newBuilder().addFp32Contents(1));
    rejects(half, "input 'x': FP16 has no typed contents field (expected: raw contents)");

    ModelInferRequest.Builder classification = oneInput("FP32", 0);
    classification.addOutputs(
        ModelInferRequest.InferRequestedOutputTensor.newBuilder()
            .setName("o")
            .putParameters(
                "classification", InferParameter.newBuilder().setStringParam("3").build()));
    rejects(classification, "output 'o': parameters.classification: 3 (expected: an integer >= 0)");
  }

  // ---- metadata ----------------------------------------------------------------------------

  @Test
  void metadataRoundTrips() {
    ServerMetadata server = new ServerMetadata("strata", "1.0", List.of("statistics"));
    assertThat(GrpcConverters.serverMetadata(GrpcConverters.serverMetadataResponse(server)))
        .isEqualTo(server);
    ModelMetadata model =
        new ModelMetadata(
            "mnist",
            List.of("1"),
            "onnxruntime_onnx",
            List.of(new TensorSpec("input", DataType.FP32, Shape.of(-1, 784))),
            List.of(new TensorSpec("probs", DataType.FP32, Shape.of(-1, 10))),
            Map.of());
    assertThat(GrpcConverters.modelMetadata(GrpcConverters.modelMetadataResponse(model)))
        .isEqualTo(model);
    var stats = List.of(SampleStatistics.everyFieldSet());
    ModelStatisticsResponse statsMessage = GrpcConverters.modelStatisticsResponse(stats);
    assertThat(statsMessage.getModelStats(0).getInferenceStats().getCacheHit().getCount()).isZero();
    assertThat(GrpcConverters.modelStatistics(statsMessage)).isEqualTo(stats);
    List<RepositoryEntry> index =
        List.of(
            new RepositoryEntry("a", "1", "READY", ""),
            new RepositoryEntry("b", "", "UNAVAILABLE", "x"));
    assertThat(GrpcConverters.repositoryIndex(GrpcConverters.repositoryIndexResponse(index)))
        .isEqualTo(index);
  }

  @Test
  void repositoryParametersRoundTrip() {
    Map<String, Object> params = Map.of("config", "{}", "unload_dependents", true, "n", 3L);
    assertThat(
            GrpcConverters.repositoryParameters(GrpcConverters.modelRepositoryParameters(params)))
        .isEqualTo(params);
  }
}
