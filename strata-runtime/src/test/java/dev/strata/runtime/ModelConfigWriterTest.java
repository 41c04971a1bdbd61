package dev.strata.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import dev.strata.core.DataType;
import dev.strata.core.Shape;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** A configuration made in code is written as config.json that reads back equal. */
class ModelConfigWriterTest {
  @Test
  void everyFieldRoundTrips() {
    ModelConfig c =
        ModelConfig.builder()
            .name("m")
            .backend("onnxruntime")
            .maxBatchSize(8)
            .dynamicBatching(
                new ModelConfig.DynamicBatching(100, List.of(4, 8), OptionalInt.of(64), 5000))
            .instances(new ModelConfig.Instances(OptionalInt.of(2), OptionalInt.of(1), 1))
            .versionPolicy(new ModelConfig.VersionPolicy.Latest(2))
            .inputs(
                List.of(
                    new ModelConfig.TensorConfig(
                        "x", DataType.FP32, Shape.of(-1, 4), Optional.empty())))
            .outputs(
                List.of(
                    new ModelConfig.TensorConfig(
                        "y", DataType.FP32, Shape.of(3), Optional.of("y.txt"))))
            .labels("labels.txt")
            .warmup(
                List.of(
                    new ModelConfig.WarmupSample(
                        "w",
                        2,
                        3,
                        Map.of(
                            "x",
                            new ModelConfig.WarmupInput(
                                true, Optional.of(Shape.of(2, 4)), Optional.of(DataType.FP32))))))
            .parameters(Map.of("pooling", "cls"))
            .parameter("normalize", "false")
            .build();
    assertThat(c.parameters()).containsOnly(entry("pooling", "cls"), entry("normalize", "false"));
    assertThat(ModelConfig.parse("written", c.toJson())).isEqualTo(c);
    assertThat(c.toJson()).isEqualTo(c.toBuilder().build().toJson());
  }

  @Test
  void theDefaultsWriteAnEmptyObjectAndOtherPoliciesRoundTrip() {
    assertThat(ModelConfig.DEFAULT.toJson().strip()).isEqualTo("{ }");
    for (ModelConfig.VersionPolicy p :
        List.of(
            new ModelConfig.VersionPolicy.All(),
            new ModelConfig.VersionPolicy.Specific(List.of(3L, 1L)))) {
      ModelConfig c = ModelConfig.builder().versionPolicy(p).build();
      assertThat(ModelConfig.parse("written", c.toJson())).isEqualTo(c);
    }
  }

  @Test
  void parametersAreFreeFormStringsInJsonButTheOnnxRuntimeBackendsKeysAreRefused() {
    ModelConfig c =
        ModelConfig.parse(
            "m/config.json", "{\"parameters\": {\"pooling\": \"cls\", \"normalize\": false}}");
    assertThat(c.parameters()).containsOnly(entry("pooling", "cls"), entry("normalize", "false"));
    assertThat(ModelConfig.parse("written", c.toJson())).isEqualTo(c);

    assertThatThrownBy(
            () ->
                ModelConfig.parse("m/config.json", "{\"parameters\": {\"execution_mode\": \"1\"}}"))
        .hasMessageContaining("m/config.json: parameters 'execution_mode' is not supported");
    assertThatThrownBy(
            () ->
                ModelConfig.parse(
                    "m/config.json", "{\"parameters\": {\"intra_op_thread_count\": \"2\"}}"))
        .hasMessageContaining("parameters 'intra_op_thread_count': set through instances");
  }
}
