package dev.strata.protocol.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.modelconfig.Triton;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The model configuration as Triton writes it in JSON, and back. */
class RestModelConfigTest {
  private final RestCodec codec = new RestCodec();

  private static final Triton.ModelConfig CONFIG =
      Triton.ModelConfig.newBuilder()
          .setName("resnet")
          .setPlatform("onnxruntime_onnx")
          .setMaxBatchSize(8)
          .setVersionPolicy(
              Triton.ModelVersionPolicy.newBuilder()
                  .setSpecific(
                      Triton.ModelVersionPolicy.Specific.newBuilder()
                          .addVersions(1)
                          .addVersions(3)))
          .addInput(
              Triton.ModelInput.newBuilder()
                  .setName("input")
                  .setDataType(Triton.DataType.TYPE_FP32)
                  .addDims(3)
                  .addDims(-1)
                  .addDims(224))
          .setDynamicBatching(
              Triton.ModelDynamicBatching.newBuilder()
                  .setMaxQueueDelayMicroseconds(100)
                  .setDefaultQueuePolicy(
                      Triton.ModelQueuePolicy.newBuilder()
                          .setDefaultTimeoutMicroseconds(-1L) // the largest uint64
                          .setMaxQueueSize(16)))
          .build();

  @Test
  void writesProtoFieldNamesEnumNamesAndSixtyFourBitIntegersAsNumbers() throws Exception {
    JsonNode json = new ObjectMapper().readTree(codec.modelConfig(CONFIG));

    assertThat(json.get("name").asText()).isEqualTo("resnet");
    assertThat(json.get("max_batch_size").isInt()).isTrue();
    assertThat(json.get("max_batch_size").asInt()).isEqualTo(8);
    JsonNode input = json.get("input").get(0);
    assertThat(input.get("data_type").asText()).isEqualTo("TYPE_FP32");
    assertThat(input.get("dims").toString()).isEqualTo("[3,-1,224]");
    assertThat(input.get("format").asText()).isEqualTo("FORMAT_NONE"); // defaults, as Triton
    assertThat(input.get("is_shape_tensor").asBoolean()).isFalse();
    assertThat(json.get("version_policy").get("specific").get("versions").toString())
        .isEqualTo("[1,3]");
    JsonNode batching = json.get("dynamic_batching");
    assertThat(batching.get("max_queue_delay_microseconds").isNumber()).isTrue();
    assertThat(batching.get("default_queue_policy").get("default_timeout_microseconds").toString())
        .isEqualTo("18446744073709551615");
    assertThat(json.get("output").isArray()).isTrue();
  }

  @Test
  void readsWhatItWrites() {
    assertThat(codec.decodeModelConfig(codec.modelConfig(CONFIG))).isEqualTo(CONFIG);
  }

  @Test
  void aBodyThatIsNotAModelConfigurationIsRefused() {
    assertThatThrownBy(
            () ->
                codec.decodeModelConfig(
                    "{\"max_batch_size\": \"x\"}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOfSatisfying(
            StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
  }
}
