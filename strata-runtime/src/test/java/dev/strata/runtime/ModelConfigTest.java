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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigTest {
  private static final String FULL =
      """
      {
        "name": "resnet",
        "platform": "onnxruntime_onnx",
        "max_batch_size": 16,
        "dynamic_batching": {
          "max_queue_delay_us": 500,
          "preferred_batch_sizes": [8, 4],
          "max_queue_size": 64,
          "default_timeout_us": 2000000
        },
        "instances": {"count": 2, "intra_op_threads": 4, "inter_op_threads": 1},
        "version_policy": {"latest": {"num_versions": 2}},
        "inputs": [{"name": "input", "data_type": "TYPE_FP32", "dims": [3, 224, 224]}],
        "outputs": [{"name": "probabilities", "data_type": "FP32", "dims": [1000],
                     "labels": "imagenet.txt"}],
        "labels": "labels.txt",
        "warmup": [{"name": "zeros", "batch_size": 4, "count": 2,
                    "inputs": {"input": {"random_data": true, "dims": [3, 224, 224],
                                         "data_type": "TYPE_FP32"}}}]
      }
      """;

  @Test
  void parsesEveryField() {
    ModelConfig c = ModelConfig.parse("config.json", FULL);

    assertThat(c.name()).contains("resnet");
    assertThat(c.maxBatchSize()).isEqualTo(OptionalInt.of(16));
    assertThat(c.dynamicBatching().maxQueueDelayMicros()).isEqualTo(500);
    assertThat(c.dynamicBatching().preferredBatchSizes()).containsExactly(4, 8);
    assertThat(c.dynamicBatching().maxQueueSize()).isEqualTo(OptionalInt.of(64));
    assertThat(c.dynamicBatching().defaultTimeoutMicros()).isEqualTo(2_000_000);
    assertThat(c.instances().count()).isEqualTo(OptionalInt.of(2));
    assertThat(c.instances().intraOpThreads()).isEqualTo(OptionalInt.of(4));
    assertThat(c.versionPolicy()).isEqualTo(new VersionPolicy.Latest(2));
    assertThat(c.inputs())
        .containsExactly(
            new TensorConfig("input", DataType.FP32, Shape.of(3, 224, 224), Optional.empty()));
    assertThat(c.outputs().getFirst().labels()).contains("imagenet.txt");
    assertThat(c.labels()).contains("labels.txt");
    assertThat(c.warmup().getFirst().batchSize()).isEqualTo(4);
    assertThat(c.warmup().getFirst().count()).isEqualTo(2);
    assertThat(c.warmup().getFirst().inputs().get("input"))
        .isEqualTo(
            new WarmupInput(true, Optional.of(Shape.of(3, 224, 224)), Optional.of(DataType.FP32)));
  }

  @Test
  void acceptsTritonNamesForFields() {
    ModelConfig c =
        ModelConfig.parse(
            "config.json",
            """
            {"backend": "onnxruntime",
             "dynamic_batching": {"max_queue_delay_microseconds": "100", "preferred_batch_size": [2]},
             "input": [{"name": "x", "data_type": "TYPE_STRING", "dims": ["-1"]}],
             "output": [{"name": "y", "data_type": "TYPE_INT64", "dims": [1], "label_filename": "l.txt"}],
             "model_warmup": [{"inputs": {"x": {"zero_data": true}}}]}
            """);
    assertThat(c.dynamicBatching().maxQueueDelayMicros()).isEqualTo(100);
    assertThat(c.inputs().getFirst().dataType()).isEqualTo(DataType.BYTES);
    assertThat(c.outputs().getFirst().labels()).contains("l.txt");
    assertThat(c.warmup().getFirst().inputs().get("x").random()).isFalse();
  }

  @Test
  void anEmptyObjectMeansTheDefaults() {
    assertThat(ModelConfig.parse("config.json", "{}")).isEqualTo(ModelConfig.DEFAULT);
  }

  @Test
  void unknownFieldsAreRejectedNamingTheFileAndField() {
    assertInvalid(
        "{\"max_batch\": 4}",
        "m/config.json: unknown field 'max_batch' at the top level",
        "max_batch_size");
    assertInvalid(
        "{\"dynamic_batching\": {\"max_queue_delay\": 4}}",
        "unknown field 'max_queue_delay' in dynamic_batching",
        "max_queue_delay_us");
    assertInvalid(
        "{\"inputs\": [{\"name\": \"x\", \"data_type\": \"FP32\", \"dims\": [1], \"shape\": [1]}]}",
        "unknown field 'shape' in inputs[0]");
    assertInvalid(
        "{\"version_policy\": {\"all\": {\"x\": 1}}}", "unknown field 'x' in version_policy.all");
  }

  @Test
  void badValuesAreRejectedWithTheFieldAndWhatWasExpected() {
    assertInvalid(
        "{\"max_batch_size\": \"many\"}", "m/config.json: invalid value at max_batch_size");
    assertInvalid("{\"max_batch_size\": -1}", "max_batch_size: -1 (expected: >= 0)");
    assertInvalid("[1]", "m/config.json: not a JSON object");
    assertInvalid("{", "m/config.json: not valid JSON at line 1, column 2");
    assertInvalid("", "m/config.json: not a JSON object");
    assertInvalid("{\"max_batch_size\": 1, \"max_batch_size\": 2}", "max_batch_size");
    assertInvalid("{\"platform\": \"tensorflow_savedmodel\"}", "platform: 'tensorflow_savedmodel'");
    assertInvalid(
        "{\"dynamic_batching\": {\"preferred_batch_sizes\": [0]}}",
        "preferred_batch_sizes: 0 (expected: > 0)");
    assertInvalid("{\"instances\": {\"count\": 0}}", "instances.count: 0 (expected: > 0)");
    assertInvalid(
        "{\"inputs\": [{\"name\": \"x\", \"data_type\": \"FP33\", \"dims\": [1]}]}",
        "inputs 'x': datatype: 'FP33'");
    assertInvalid(
        "{\"inputs\": [{\"name\": \"x\", \"dims\": [1]}]}", "inputs 'x': data_type missing");
    assertInvalid(
        "{\"warmup\": [{\"batch_size\": 0}]}", "warmup 'sample 0': batch_size 0 (expected: > 0)");
  }

  @Test
  void versionPoliciesInTritonsShape() {
    TreeSet<Long> onDisk = new TreeSet<>(List.of(1L, 2L, 5L, 9L));
    assertThat(policy("{\"latest\": {\"num_versions\": 2}}").select(onDisk))
        .containsExactly(5L, 9L);
    assertThat(policy("{\"latest\": {\"num_versions\": 9}}").select(onDisk))
        .containsExactly(1L, 2L, 5L, 9L);
    assertThat(policy("{\"specific\": {\"versions\": [2, 3, 9]}}").select(onDisk))
        .containsExactly(2L, 9L);
    assertThat(policy("{\"all\": {}}").select(onDisk)).containsExactly(1L, 2L, 5L, 9L);
    assertThat(ModelConfig.DEFAULT.versionPolicy().select(onDisk)).containsExactly(9L);

    assertInvalid("{\"version_policy\": {}}", "version_policy: 0 policies given");
    assertInvalid(
        "{\"version_policy\": {\"all\": {}, \"latest\": {\"num_versions\": 1}}}",
        "version_policy: 2 policies given");
    assertInvalid(
        "{\"version_policy\": {\"latest\": {\"num_versions\": 0}}}",
        "version_policy.latest.num_versions: 0 (expected: > 0)");
    assertInvalid(
        "{\"version_policy\": {\"specific\": {\"versions\": []}}}",
        "version_policy.specific.versions: empty");
  }

  @Test
  void readsFilesAndNamesThemInErrors(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("config.json");
    Files.writeString(file, "{\"max_batch_size\": 2}");
    assertThat(ModelConfig.read(file).maxBatchSize()).isEqualTo(OptionalInt.of(2));
    assertThatThrownBy(() -> ModelConfig.read(dir.resolve("missing.json")))
        .isInstanceOf(StrataException.class)
        .hasMessageContaining("missing.json: cannot read");
  }

  @Test
  void theNameMustBeTheDirectorysName(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("mlp"));
    Files.writeString(dir.resolve("mlp/config.json"), "{\"name\": \"other\"}");
    ModelRepository repository = new ModelRepository(dir);
    assertThatThrownBy(() -> repository.config("mlp", dir.resolve("mlp")))
        .hasMessageContaining("name 'other' (expected: 'mlp', the directory's name)");
  }

  private static VersionPolicy policy(String json) {
    return ModelConfig.parse("c", "{\"version_policy\": " + json + "}").versionPolicy();
  }

  private static void assertInvalid(String json, String... parts) {
    assertThatThrownBy(() -> ModelConfig.parse("m/config.json", json))
        .isInstanceOfSatisfying(
            StrataException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
              assertThat(e.getMessage()).contains(parts);
            });
  }
}
