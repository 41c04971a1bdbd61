package dev.strata.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.DataType;
import dev.strata.core.ErrorCode;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.runtime.ModelConfig.TensorConfig;
import dev.strata.runtime.ModelConfig.VersionPolicy;
import dev.strata.runtime.ModelConfig.WarmupInput;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Triton's config.pbtxt, parsed with protobuf's TextFormat and mapped onto {@link ModelConfig}. */
class TritonConfigTest {
  /** A config in the shape of Triton's documentation examples, using every field Strata maps. */
  private static final String REALISTIC =
      """
      name: "densenet_onnx"
      platform: "onnxruntime_onnx"
      max_batch_size : 8
      version_policy: { latest: { num_versions: 2 } }
      input [
        {
          name: "data_0"
          data_type: TYPE_FP32
          dims: [ 3, 224, 224 ]
        }
      ]
      output [
        {
          name: "fc6_1"
          data_type: TYPE_FP32
          dims: [ 1000 ]
          label_filename: "densenet_labels.txt"
        }
      ]
      dynamic_batching {
        preferred_batch_size: [ 4, 8 ]
        max_queue_delay_microseconds: 100
        default_queue_policy { max_queue_size: 64 default_timeout_microseconds: 2000000 }
      }
      instance_group [
        {
          count: 2
          kind: KIND_CPU
        }
      ]
      parameters { key: "intra_op_thread_count" value: { string_value: "2" } }
      parameters { key: "pooling" value: { string_value: "cls" } }
      model_warmup [
        {
          name: "random"
          batch_size: 4
          count: 3
          inputs {
            key: "data_0"
            value: { data_type: TYPE_FP32 dims: [ 3, 224, 224 ] random_data: true }
          }
        }
      ]
      """;

  @Test
  void mapsARealisticTritonConfig() {
    ModelConfig c = TritonConfigReader.parse("config.pbtxt", REALISTIC);

    assertThat(c.name()).contains("densenet_onnx");
    assertThat(c.maxBatchSize()).isEqualTo(OptionalInt.of(8));
    assertThat(c.versionPolicy()).isEqualTo(new VersionPolicy.Latest(2));
    assertThat(c.inputs())
        .containsExactly(
            new TensorConfig("data_0", DataType.FP32, Shape.of(3, 224, 224), Optional.empty()));
    assertThat(c.outputs())
        .containsExactly(
            new TensorConfig(
                "fc6_1", DataType.FP32, Shape.of(1000), Optional.of("densenet_labels.txt")));
    assertThat(c.dynamicBatching().preferredBatchSizes()).containsExactly(4, 8);
    assertThat(c.dynamicBatching().maxQueueDelayMicros()).isEqualTo(100);
    assertThat(c.dynamicBatching().maxQueueSize()).isEqualTo(OptionalInt.of(64));
    assertThat(c.dynamicBatching().defaultTimeoutMicros()).isEqualTo(2_000_000);
    assertThat(c.instances().count()).isEqualTo(OptionalInt.of(2));
    assertThat(c.instances().intraOpThreads()).isEqualTo(OptionalInt.of(2));
    // Triton passes parameters it does not know on to the model; so does Strata.
    assertThat(c.parameters()).isEqualTo(java.util.Map.of("pooling", "cls"));
    assertThat(c.warmup()).hasSize(1);
    assertThat(c.warmup().getFirst().batchSize()).isEqualTo(4);
    assertThat(c.warmup().getFirst().count()).isEqualTo(3);
    assertThat(c.warmup().getFirst().inputs().get("data_0"))
        .isEqualTo(
            new WarmupInput(true, Optional.of(Shape.of(3, 224, 224)), Optional.of(DataType.FP32)));
  }

  @Test
  void anEmptyFileMeansTheDefaults() {
    assertThat(TritonConfigReader.parse("config.pbtxt", "")).isEqualTo(ModelConfig.DEFAULT);
  }

  @Test
  void anExplicitZeroMaxBatchSizeIsToldFromAnAbsentOne() {
    assertThat(TritonConfigReader.parse("c", "max_batch_size: 0").maxBatchSize())
        .isEqualTo(OptionalInt.of(0));
    assertThat(TritonConfigReader.parse("c", "name: \"m\"").maxBatchSize()).isEmpty();
  }

  @Test
  void tritonDefaultsApplyWhereTheFileLeavesValuesOut() {
    ModelConfig c =
        TritonConfigReader.parse(
            "c",
            """
            backend: "onnxruntime"
            version_policy: { all { } }
            input [ { name: "text" data_type: TYPE_STRING dims: [ -1 ] } ]
            instance_group [ { kind: KIND_CPU }, { count: 2 } ]
            dynamic_batching { }
            model_warmup [ { name: "w" batch_size: 1 inputs { key: "text" value: { zero_data: true } } } ]
            """);
    assertThat(c.versionPolicy()).isEqualTo(new VersionPolicy.All());
    assertThat(c.inputs().getFirst().dataType()).isEqualTo(DataType.BYTES);
    assertThat(c.inputs().getFirst().dims()).isEqualTo(Shape.of(-1));
    assertThat(c.instances().count()).isEqualTo(OptionalInt.of(3)); // count 0 is Triton's 1
    assertThat(c.dynamicBatching().maxQueueSize()).isEmpty(); // no queue policy: Strata's bound
    assertThat(c.warmup().getFirst().count()).isEqualTo(1);
    assertThat(c.warmup().getFirst().inputs().get("text")).isEqualTo(WarmupInput.ZERO);
    assertThat(TritonConfigReader.parse("c", "version_policy: { specific: { versions: [1, 3] } }"))
        .extracting(ModelConfig::versionPolicy)
        .isEqualTo(new VersionPolicy.Specific(List.of(1L, 3L)));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "sequence_batching { max_sequence_idle_microseconds: 5000000 } | sequence_batching",
        "ensemble_scheduling { step [ { model_name: \"a\" model_version: -1 } ] }"
            + " | ensemble_scheduling",
        "optimization { execution_accelerators { cpu_execution_accelerator: [ { name: \"openvino\""
            + " } ] } } | optimization",
        "runtime: \"model.py\" | runtime",
        "batch_input [ { kind: BATCH_ELEMENT_COUNT target_name: \"n\" source_input: \"x\" } ]"
            + " | batch_input",
        "batch_output [ { target_name: \"y\" source_input: \"x\" } ] | batch_output",
        "cc_model_filenames { key: \"7.5\" value: \"a.onnx\" } | cc_model_filenames",
        "metric_tags { key: \"team\" value: \"a\" } | metric_tags",
        "model_operations { op_library_filename: \"libops.so\" } | model_operations",
        "model_transaction_policy { decoupled: true } | model_transaction_policy",
        "model_repository_agents { agents [ { name: \"checksum\" } ] } | model_repository_agents",
        "response_cache { enable: true } | response_cache",
        "model_metrics { metric_control [ { metric_identifier { family: \"f\" } } ] }"
            + " | model_metrics",
        "input [ { name: \"x\" data_type: TYPE_FP32 dims: [ 4 ] reshape: { shape: [ 2, 2 ] } } ]"
            + " | input[0].reshape",
        "input [ { name: \"x\" data_type: TYPE_FP32 format: FORMAT_NCHW dims: [ 3, 2, 2 ] } ]"
            + " | input[0].format",
        "input [ { name: \"x\" data_type: TYPE_FP32 dims: [ 4 ] allow_ragged_batch: true } ]"
            + " | input[0].allow_ragged_batch",
        "input [ { name: \"x\" data_type: TYPE_FP32 dims: [ 4 ] optional: true } ]"
            + " | input[0].optional",
        "output [ { name: \"y\" data_type: TYPE_FP32 dims: [ 4 ] is_shape_tensor: true } ]"
            + " | output[0].is_shape_tensor",
        "dynamic_batching { priority_levels: 2 } | dynamic_batching.priority_levels",
        "dynamic_batching { preserve_ordering: true } | dynamic_batching.preserve_ordering",
        "dynamic_batching { default_queue_policy { timeout_action: DELAY } }"
            + " | dynamic_batching.default_queue_policy.timeout_action",
        "instance_group [ { count: 1 }, { kind: KIND_CPU gpus: [ 0 ] } ] | instance_group[1].gpus",
        "instance_group [ { rate_limiter { priority: 2 } } ] | instance_group[0].rate_limiter",
        "model_warmup [ { name: \"w\" batch_size: 1 inputs { key: \"x\" value: { data_type:"
            + " TYPE_FP32 dims: [ 4 ] input_data_file: \"raw\" } } } ]"
            + " | model_warmup[0].inputs['x'].input_data_file",
      })
  void everyFieldStrataDoesNotHonourIsRefusedByName(String text, String field) {
    assertInvalid(text, "m/config.pbtxt: field '" + field + "' is not supported by Strata");
  }

  @Test
  void valuesStrataCannotHonourAreRefusedWithWhatIsExpected() {
    assertInvalid("platform: \"tensorrt_plan\"", "platform: 'tensorrt_plan'", "onnxruntime_onnx");
    assertInvalid("backend: \"python\"", "backend: 'python'", "onnxruntime");
    assertInvalid(
        "instance_group [ { kind: KIND_GPU } ]",
        "instance_group[0].kind: KIND_GPU is not supported by Strata (expected: KIND_CPU)");
    assertInvalid(
        "parameters { key: \"execution_mode\" value: { string_value: \"1\" } }",
        "parameters 'execution_mode' is not supported by Strata",
        "intra_op_thread_count");
    assertInvalid(
        "parameters { key: \"intra_op_thread_count\" value: { string_value: \"many\" } }",
        "string_value 'many' (expected: an integer)");
    assertInvalid("default_model_filename: \"model.plan\"", "default_model_filename: 'model.plan'");
    assertInvalid("input [ { name: \"x\" dims: [ 4 ] } ]", "input 'x': data_type missing");
    assertInvalid("input [ { data_type: TYPE_FP32 dims: [ 4 ] } ]", "input[0].name: missing");
    assertInvalid(
        "version_policy: { latest: { } }", "version_policy.latest.num_versions: 0 (expected: > 0)");
  }

  @Test
  void malformedTextIsRefusedWithTextFormatsLineAndColumn() {
    assertInvalid(
        "max_batch_size: 8\ninput [ { name: \"x\" data_type: TYPE_FLOAT } ]",
        "m/config.pbtxt: not valid Triton model configuration text at line 2, column",
        "TYPE_FLOAT");
    assertInvalid(
        "max_batch_size: 8\nmax_batch: 4",
        "at line 2, column 1",
        "unknown fields and/or extensions: inference.ModelConfig.max_batch)");
    assertInvalid("max_batch_size: 8\nmax_batch_size: 4", "at line 2", "max_batch_size");
    assertInvalid("input [ { name: \"x\" ", "at line 1");
  }

  private static void assertInvalid(String text, String... parts) {
    assertThatThrownBy(() -> TritonConfigReader.parse("m/config.pbtxt", text))
        .isInstanceOfSatisfying(
            StrataException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
              assertThat(e.getMessage()).contains(parts);
            });
  }
}
