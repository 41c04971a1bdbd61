package dev.strata.train.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.train.TestSupport;
import dev.strata.train.data.DataSources;
import dev.strata.train.data.PreparedData;
import dev.strata.train.spec.TrainingSpec;
import dev.strata.train.workflow.TrainingWorkflow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingTest {
  private static final String MLP =
      """
      - {type: flatten}
      - {type: linear, units: 64}
      - {type: relu}
      - {type: linear, units: 10}
      - {type: softmax}
      """;

  /** Small, but with every source of randomness and state: dropout, batch norm, augmentation. */
  private static final String CNN =
      """
      - {type: conv2d, filters: 6, kernel: 3, padding: 1}
      - {type: batch_norm}
      - {type: relu}
      - {type: max_pool, kernel: 2}
      - {type: flatten}
      - {type: dropout, rate: 0.3}
      - {type: linear, units: 10}
      """;

  private static DataSources.Loaded subset;

  @BeforeAll
  static void load() throws Exception {
    subset =
        DataSources.load(
            TestSupport.SUBSET,
            TestSupport.spec(
                TestSupport.imageSpec(
                    MLP, "epochs: 1\noptimizer: {type: sgd, learning_rate: 0.1}")));
  }

  @Test
  void trainingReducesLossAndReachesASaneAccuracy(@TempDir Path dir) throws Exception {
    TrainingSpec spec =
        TestSupport.spec(
            TestSupport.imageSpec(
                MLP,
                """
                epochs: 3
                batch_size: 32
                seed: 11
                optimizer: {type: adam, learning_rate: 0.002}
                """));
    PreparedData data = PreparedData.prepare(spec, subset);
    assertThat(data.train().count()).isEqualTo(1800);
    assertThat(data.validation().orElseThrow().count()).isEqualTo(200);
    ModelTrainer trainer =
        new ModelTrainer(TestSupport.CONFIG, Clock.systemUTC(), new TrainingListener() {});
    try (TrainedModel model = trainer.train(spec, data, dir, Optional.empty())) {
      List<EpochStats> h = model.history();
      assertThat(h).hasSize(3);
      assertThat(h.get(2).trainLoss()).isLessThan(h.get(0).trainLoss());
      assertThat(h.get(2).validationAccuracy()).isGreaterThan(0.65);
      double testAccuracy =
          TrainingWorkflow.evaluate(model, data.test().orElseThrow(), "test", Optional.empty())
              .classification()
              .orElseThrow()
              .accuracy();
      assertThat(testAccuracy).isGreaterThan(0.65);
      assertThat(model.parameterCount()).isEqualTo(784 * 64 + 64 + 64 * 10 + 10);
    }
    assertThat(Files.readString(dir.resolve(Checkpoints.STATE))).contains("\"epochs_done\":3");
  }

  @Test
  void resumingFromACheckpointGivesTheSameModelAsAnUninterruptedRun(@TempDir Path dir)
      throws Exception {
    TrainingSpec spec =
        TestSupport.spec(
            TestSupport.imageSpec(
                    CNN,
                    """
                epochs: 2
                batch_size: 64
                seed: 3
                loss: {type: softmax_cross_entropy, label_smoothing: 0.1}
                optimizer: {type: adamw, learning_rate: 0.003, weight_decay: 0.01}
                schedule: {type: cosine, warmup_epochs: 1}
                """)
                .replace(
                    "- {op: normalize}",
                    "- {op: normalize}\n    - {op: random_shift, max_pixels: 2}\n"
                        + "    - {op: random_flip, probability: 0.5}"));
    PreparedData data = PreparedData.prepare(spec, subset);
    ModelTrainer trainer =
        new ModelTrainer(TestSupport.CONFIG, Clock.systemUTC(), new TrainingListener() {});
    byte[] straight;
    List<EpochStats> straightHistory;
    try (TrainedModel m = trainer.train(spec, data, dir.resolve("a"), Optional.empty())) {
      straight = m.parameters();
      straightHistory = m.history();
    }
    try (TrainedModel first = trainer.train(spec, data, dir.resolve("b"), Optional.of(1))) {
      assertThat(first.history()).hasSize(1);
    }
    try (TrainedModel resumed = trainer.resume(dir.resolve("b"), data, Optional.empty())) {
      assertThat(resumed.history()).hasSize(2);
      assertThat(resumed.history().get(1).trainLoss())
          .isEqualTo(straightHistory.get(1).trainLoss());
      assertThat(resumed.history().get(1).validationAccuracy())
          .isEqualTo(straightHistory.get(1).validationAccuracy());
      assertThat(resumed.parameters()).isEqualTo(straight);
    }
    // the directory holds only the current epoch's files
    try (var files = Files.list(dir.resolve("b"))) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder(
              "spec.json",
              "pipeline.json",
              "state.json",
              "best.params",
              "epoch-0002.params",
              "epoch-0002.optimizer");
    }
  }
}
