package dev.strata.modelconfig;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Pins our model_config.proto to Triton's published one: a config.pbtxt written for Triton parses
 * only if the field names match, and a stock client reads the gRPC ModelConfig answer only if the
 * numbers and types match. The tables are written from Triton's model_config.proto.
 */
class ModelConfigSchemaTest {

  /** Every field of ModelConfig: "field number type" (messages and enums by simple name). */
  private static final List<String> MODEL_CONFIG =
      List.of(
          "name 1 string",
          "platform 2 string",
          "backend 17 string",
          "runtime 25 string",
          "version_policy 3 ModelVersionPolicy",
          "max_batch_size 4 int32",
          "input 5 repeated ModelInput",
          "output 6 repeated ModelOutput",
          "batch_input 20 repeated BatchInput",
          "batch_output 21 repeated BatchOutput",
          "optimization 12 ModelOptimizationPolicy",
          "dynamic_batching 11 ModelDynamicBatching",
          "sequence_batching 13 ModelSequenceBatching",
          "ensemble_scheduling 15 ModelEnsembling",
          "instance_group 7 repeated ModelInstanceGroup",
          "default_model_filename 8 string",
          "cc_model_filenames 9 map<string,string>",
          "metric_tags 10 map<string,string>",
          "parameters 14 map<string,ModelParameter>",
          "model_warmup 16 repeated ModelWarmup",
          "model_operations 18 ModelOperations",
          "model_transaction_policy 19 ModelTransactionPolicy",
          "model_repository_agents 23 ModelRepositoryAgents",
          "response_cache 24 ModelResponseCache",
          "model_metrics 26 ModelMetrics");

  /** The fields of the messages Strata reads and writes. */
  private static final List<String> SUPPORTED_MESSAGES =
      List.of(
          "ModelInput.name 1 string",
          "ModelInput.data_type 2 DataType",
          "ModelInput.format 3 Format",
          "ModelInput.dims 4 repeated int64",
          "ModelInput.reshape 5 ModelTensorReshape",
          "ModelInput.is_shape_tensor 6 bool",
          "ModelInput.allow_ragged_batch 7 bool",
          "ModelInput.optional 8 bool",
          "ModelInput.is_non_linear_format_io 9 bool",
          "ModelOutput.name 1 string",
          "ModelOutput.data_type 2 DataType",
          "ModelOutput.dims 3 repeated int64",
          "ModelOutput.reshape 5 ModelTensorReshape",
          "ModelOutput.label_filename 4 string",
          "ModelOutput.is_shape_tensor 6 bool",
          "ModelOutput.is_non_linear_format_io 7 bool",
          "ModelTensorReshape.shape 1 repeated int64",
          "ModelVersionPolicy.latest 1 Latest",
          "ModelVersionPolicy.all 2 All",
          "ModelVersionPolicy.specific 3 Specific",
          "ModelVersionPolicy.Latest.num_versions 1 uint32",
          "ModelVersionPolicy.Specific.versions 1 repeated int64",
          "ModelDynamicBatching.preferred_batch_size 1 repeated int32",
          "ModelDynamicBatching.max_queue_delay_microseconds 2 uint64",
          "ModelDynamicBatching.preserve_ordering 3 bool",
          "ModelDynamicBatching.priority_levels 4 uint64",
          "ModelDynamicBatching.default_priority_level 5 uint64",
          "ModelDynamicBatching.default_queue_policy 6 ModelQueuePolicy",
          "ModelDynamicBatching.priority_queue_policy 7 map<uint64,ModelQueuePolicy>",
          "ModelQueuePolicy.timeout_action 1 TimeoutAction",
          "ModelQueuePolicy.default_timeout_microseconds 2 uint64",
          "ModelQueuePolicy.allow_timeout_override 3 bool",
          "ModelQueuePolicy.max_queue_size 4 uint32",
          "ModelInstanceGroup.name 1 string",
          "ModelInstanceGroup.kind 4 Kind",
          "ModelInstanceGroup.count 2 int32",
          "ModelInstanceGroup.rate_limiter 6 ModelRateLimiter",
          "ModelInstanceGroup.gpus 3 repeated int32",
          "ModelInstanceGroup.secondary_devices 8 repeated SecondaryDevice",
          "ModelInstanceGroup.profile 5 repeated string",
          "ModelInstanceGroup.passive 7 bool",
          "ModelInstanceGroup.host_policy 9 string",
          "ModelParameter.string_value 1 string",
          "ModelWarmup.name 1 string",
          "ModelWarmup.batch_size 2 uint32",
          "ModelWarmup.inputs 3 map<string,Input>",
          "ModelWarmup.count 4 uint32",
          "ModelWarmup.Input.data_type 1 DataType",
          "ModelWarmup.Input.dims 2 repeated int64",
          "ModelWarmup.Input.zero_data 3 bool",
          "ModelWarmup.Input.random_data 4 bool",
          "ModelWarmup.Input.input_data_file 5 string");

  private static final List<String> DATA_TYPES =
      List.of(
          "TYPE_INVALID 0",
          "TYPE_BOOL 1",
          "TYPE_UINT8 2",
          "TYPE_UINT16 3",
          "TYPE_UINT32 4",
          "TYPE_UINT64 5",
          "TYPE_INT8 6",
          "TYPE_INT16 7",
          "TYPE_INT32 8",
          "TYPE_INT64 9",
          "TYPE_FP16 10",
          "TYPE_FP32 11",
          "TYPE_FP64 12",
          "TYPE_STRING 13",
          "TYPE_BF16 14");

  @Test
  void modelConfigHasEveryPublishedFieldAndNoOther() {
    List<String> ours = new ArrayList<>();
    for (FieldDescriptor f : Triton.ModelConfig.getDescriptor().getFields()) {
      ours.add(f.getName() + " " + f.getNumber() + " " + type(f));
    }
    assertThat(ours).containsExactlyInAnyOrderElementsOf(MODEL_CONFIG);
  }

  @Test
  void supportedMessagesHaveThePublishedFields() {
    List<String> ours = new ArrayList<>();
    for (String message :
        List.of(
            "ModelInput",
            "ModelOutput",
            "ModelTensorReshape",
            "ModelVersionPolicy",
            "ModelDynamicBatching",
            "ModelQueuePolicy",
            "ModelInstanceGroup",
            "ModelParameter",
            "ModelWarmup")) {
      describe(Triton.getDescriptor().findMessageTypeByName(message), ours);
    }
    assertThat(ours).containsExactlyInAnyOrderElementsOf(SUPPORTED_MESSAGES);
  }

  @Test
  void dataTypesHaveThePublishedNumbers() {
    List<String> ours = new ArrayList<>();
    for (EnumValueDescriptor v : Triton.DataType.getDescriptor().getValues()) {
      ours.add(v.getName() + " " + v.getNumber());
    }
    assertThat(ours).containsExactlyElementsOf(DATA_TYPES);
    assertThat(Triton.getDescriptor().getPackage()).isEqualTo("inference");
    assertThat(Triton.ModelInstanceGroup.Kind.KIND_CPU.getNumber()).isEqualTo(2);
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
      if (!nested.getOptions().getMapEntry()
          && List.of("Latest", "Specific", "Input").contains(nested.getName())) {
        describe(nested, out);
      }
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
        switch (f.getType()) {
          case MESSAGE -> f.getMessageType().getName();
          case ENUM -> f.getEnumType().getName();
          default -> f.getType().name().toLowerCase(Locale.ROOT);
        };
    return f.isRepeated() ? "repeated " + base : base;
  }
}
