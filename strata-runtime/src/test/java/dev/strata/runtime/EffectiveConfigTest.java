package dev.strata.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.modelconfig.Triton;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The model configuration extension's answer: what a version runs with, however it was made. */
class EffectiveConfigTest {
  @TempDir Path dir;

  @Test
  void aModelWithoutConfigShowsWhatWasDerived() {
    try (ModelManager runtime = new TestRepo(dir).mlp("mlp", 1, 3).start()) {
      Triton.ModelConfig c = runtime.modelConfig("mlp", Optional.empty());

      assertThat(c.getName()).isEqualTo("mlp");
      assertThat(c.getPlatform()).isEqualTo("onnxruntime_onnx");
      assertThat(c.getBackend()).isEqualTo("onnxruntime");
      assertThat(c.getMaxBatchSize()).isEqualTo(32);
      assertThat(c.getVersionPolicy().getLatest().getNumVersions()).isEqualTo(1);
      assertThat(c.getInputList())
          .singleElement()
          .satisfies(
              i -> {
                assertThat(i.getName()).isEqualTo("input");
                assertThat(i.getDataType()).isEqualTo(Triton.DataType.TYPE_FP32);
                assertThat(i.getDimsList()).containsExactly(4L); // without the batch dimension
              });
      assertThat(c.getOutput(0).getDimsList()).containsExactly(3L);
      assertThat(c.getDynamicBatching().getDefaultQueuePolicy().getMaxQueueSize()).isEqualTo(1024);
      assertThat(c.getInstanceGroupList())
          .singleElement()
          .satisfies(
              g -> {
                assertThat(g.getKind()).isEqualTo(Triton.ModelInstanceGroup.Kind.KIND_CPU);
                assertThat(g.getCount()).isEqualTo(1);
              });
      assertThat(c.getParametersMap()).isEmpty();
    }
  }

  @Test
  void aPbtxtConfiguredModelShowsItsSettings() {
    TestRepo repo =
        new TestRepo(dir)
            .model("affine", 1, TritonConfigRepositoryTest.affine())
            .model("affine", 2, TritonConfigRepositoryTest.affine());
    repo.file(
        "affine",
        "config.pbtxt",
        """
        max_batch_size: 4
        version_policy: { specific: { versions: [ 1, 2 ] } }
        output [ { name: "y" data_type: TYPE_FP32 dims: [ 3 ] label_filename: "labels.txt" } ]
        instance_group [ { count: 2 kind: KIND_CPU } ]
        dynamic_batching {
          preferred_batch_size: [ 2 ]
          max_queue_delay_microseconds: 300
          default_queue_policy { max_queue_size: 8 default_timeout_microseconds: 5000 }
        }
        parameters { key: "intra_op_thread_count" value: { string_value: "1" } }
        parameters { key: "pooling" value: { string_value: "cls" } }
        model_warmup [ { name: "w" batch_size: 2 inputs { key: "x" value: { random_data: true } } } ]
        """);
    repo.file("affine", "labels.txt", "a\nb\nc\n");
    try (ModelManager runtime = repo.start()) {
      Triton.ModelConfig c = runtime.modelConfig("affine", Optional.of("1"));

      assertThat(c.getMaxBatchSize()).isEqualTo(4);
      assertThat(c.getVersionPolicy().getSpecific().getVersionsList()).containsExactly(1L, 2L);
      assertThat(c.getInput(0).getName()).isEqualTo("x");
      assertThat(c.getInput(0).getDimsList()).containsExactly(3L);
      assertThat(c.getOutput(0).getLabelFilename()).isEqualTo("labels.txt");
      assertThat(c.getInstanceGroup(0).getCount()).isEqualTo(2);
      Triton.ModelDynamicBatching b = c.getDynamicBatching();
      assertThat(b.getPreferredBatchSizeList()).containsExactly(2);
      assertThat(b.getMaxQueueDelayMicroseconds()).isEqualTo(300);
      assertThat(b.getDefaultQueuePolicy().getMaxQueueSize()).isEqualTo(8);
      assertThat(b.getDefaultQueuePolicy().getDefaultTimeoutMicroseconds()).isEqualTo(5000);
      assertThat(c.getParametersMap().get("intra_op_thread_count").getStringValue()).isEqualTo("1");
      assertThat(c.getParametersMap().get("pooling").getStringValue()).isEqualTo("cls");
      Triton.ModelWarmup w = c.getModelWarmup(0);
      assertThat(w.getBatchSize()).isEqualTo(2);
      assertThat(w.getInputsMap().get("x").getRandomData()).isTrue();
      assertThat(w.getInputsMap().get("x").getDimsList()).containsExactly(3L);
    }
  }

  @Test
  void aConfigJsonThatTurnsBatchingOffShowsFullShapesAndNoBatcher() {
    TestRepo repo = new TestRepo(dir).mlp("mlp", 1, 3);
    repo.config(
        "mlp",
        "{\"max_batch_size\": 0, \"inputs\": [{\"name\": \"input\","
            + " \"data_type\": \"FP32\", \"dims\": [2, 4]}]}");
    try (ModelManager runtime = repo.start()) {
      Triton.ModelConfig c = runtime.modelConfig("mlp", Optional.empty());

      assertThat(c.hasMaxBatchSize()).isTrue();
      assertThat(c.getMaxBatchSize()).isZero();
      assertThat(c.getInput(0).getDimsList()).containsExactly(2L, 4L);
      assertThat(c.getOutput(0).getDimsList()).containsExactly(-1L, 3L);
      assertThat(c.hasDynamicBatching()).isFalse();
    }
  }

  @Test
  void anUnknownModelOrVersionIsNotFound() {
    try (ModelManager runtime = new TestRepo(dir).mlp("mlp", 1, 3).start()) {
      assertThatThrownBy(() -> runtime.modelConfig("nope", Optional.empty()))
          .isInstanceOfSatisfying(
              StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
      assertThatThrownBy(() -> runtime.modelConfig("mlp", Optional.of("9")))
          .isInstanceOfSatisfying(
              StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
    }
  }
}
