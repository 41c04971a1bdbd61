package dev.strata.federated.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.strata.federated.aggregate.ClientUpdate;
import dev.strata.federated.aggregate.StrategySpec;
import dev.strata.federated.client.LocalTrainer;
import dev.strata.federated.client.LocalTraining;
import dev.strata.federated.privacy.ClientPrivacy;
import dev.strata.train.data.DataSources;
import dev.strata.train.data.Features;
import dev.strata.train.data.PreparedData;
import dev.strata.train.engine.TrainConfig;
import dev.strata.train.spec.TrainingSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The simulator on the shipped Fashion-MNIST subset (2,000 training, 1,000 test images). */
class SimulationTest {
  static final Path SUBSET = Path.of("..", "data", "fashion-mnist-subset").toAbsolutePath();
  static final String SPEC =
      """
      format_version: 1
      name: fed-test
      preprocessing:
        input: {kind: image, channels: 1, height: 28, width: 28}
        steps:
          - {op: normalize}
      model:
        layers:
          - {type: conv2d, filters: 8, kernel: 3, padding: 1, bias: false}
          - {type: batch_norm}
          - {type: relu}
          - {type: max_pool, kernel: 2}
          - {type: flatten}
          - {type: linear, units: 10}
      training:
        epochs: 1
        batch_size: 32
        seed: 7
        loss: {type: softmax_cross_entropy}
        optimizer: {type: sgd, learning_rate: 0.05, momentum: 0.9}
      """;

  static PreparedData data;
  static LocalTrainer trainer;

  @BeforeAll
  static void load() throws Exception {
    TrainingSpec spec = TrainingSpec.parse(SPEC, true, "test spec");
    data = PreparedData.prepare(spec, DataSources.load(SUBSET, spec));
    trainer = new LocalTrainer(TrainConfig.defaults(), spec, data.pipeline());
  }

  @AfterAll
  static void close() {
    trainer.close();
  }

  private static SimulationOptions options(
      StrategySpec s, boolean secure, Optional<ClientPrivacy> dp, double dropout) {
    return new SimulationOptions(
        10,
        5,
        3,
        Partition.parse("dirichlet:0.5"),
        s,
        new LocalTraining(1, 32, LocalTraining.sgd(0.05, 0.9), 0),
        secure,
        8,
        dp,
        dropout,
        1,
        1);
  }

  private static List<RoundResult> run(SimulationOptions o) {
    List<RoundResult> out = new ArrayList<>();
    new Simulation(o, trainer, data.train(), data.test().orElseThrow(), 10)
        .run(out::add, Double.POSITIVE_INFINITY);
    return out;
  }

  @Test
  void fedAvgLearnsAndSecureAggregationGivesTheSameCurve() {
    List<RoundResult> plain = run(options(new StrategySpec.FedAvg(), false, Optional.empty(), 0));
    List<RoundResult> secure = run(options(new StrategySpec.FedAvg(), true, Optional.empty(), 0));
    assertThat(plain).hasSize(3);
    assertThat(plain.getLast().testAccuracy()).isGreaterThan(0.5);
    for (int i = 0; i < 3; i++) {
      // the same clients train the same way; the sums differ by the fixed-point rounding only
      assertThat(secure.get(i).testAccuracy()).isCloseTo(plain.get(i).testAccuracy(), within(0.01));
      assertThat(secure.get(i).participants()).isEqualTo(5);
    }
    double ratio = (double) secure.getLast().clientBytes() / secure.getLast().plainUpdateBytes();
    assertThat(ratio).isGreaterThan(1).isLessThan(2);
    assertThat(secure.getLast().secAggSeconds()).isPositive();
  }

  @Test
  void dropoutsAreLeftOutUnderSecureAggregation() {
    // 5 per round, 30% tolerated: one dropping after masking still unmasks (threshold 4)
    List<RoundResult> r = run(options(new StrategySpec.FedAvg(), true, Optional.empty(), 0.2));
    assertThat(r)
        .allSatisfy(
            x -> {
              assertThat(x.participants()).isEqualTo(4);
              assertThat(x.dropped()).isEqualTo(1);
            });
    assertThat(r.getLast().testAccuracy()).isGreaterThan(0.5);
  }

  @Test
  void differentialPrivacyReportsAGrowingEpsilonAndStopsAtItsBudget() {
    Optional<ClientPrivacy> dp = Optional.of(new ClientPrivacy(1.0, 1.0));
    List<RoundResult> r = run(options(new StrategySpec.FedAvg(), true, dp, 0));
    assertThat(r.get(0).epsilon()).isPositive().isLessThan(r.get(2).epsilon());
    double afterTwo = r.get(1).epsilon();
    List<RoundResult> capped = new ArrayList<>();
    new Simulation(
            options(new StrategySpec.FedAvg(), false, dp, 0),
            trainer,
            data.train(),
            data.test().orElseThrow(),
            10)
        .run(capped::add, afterTwo + 1e-9);
    assertThat(capped).hasSize(2);
  }

  @Test
  void fedProxKeepsClientsNearTheGlobalModel() {
    Features one = data.train().subset(java.util.stream.IntStream.range(0, 200).toArray());
    float[] global = trainer.initialParameters();
    LocalTraining plain = new LocalTraining(1, 32, LocalTraining.sgd(0.05, 0), 0);
    ClientUpdate free = trainer.train("c", global, one, plain, 3);
    ClientUpdate held =
        trainer.train("c", global, one, plain.withProximal(new StrategySpec.FedProx(5.0)), 3);
    assertThat(norm(held.delta())).isLessThan(norm(free.delta()) * 0.9);
    assertThat(free.samples()).isEqualTo(200);
    // the trainer's parameters round-trip
    trainer.load(global);
    assertThat(trainer.parameters()).containsExactly(global);
  }

  @Test
  void robustStrategiesRunAndRefuseSecureAggregation() {
    List<RoundResult> r = run(options(new StrategySpec.Median(), false, Optional.empty(), 0));
    assertThat(r.getLast().testAccuracy()).isGreaterThan(0.4);
    assertThatThrownBy(() -> options(new StrategySpec.TrimmedMean(0.1), true, Optional.empty(), 0))
        .hasMessageContaining("needs every client's update");
  }

  @Test
  void dirichletPartitionsAreSkewedAndCoverEverySample() {
    int[] labels = data.train().labels();
    int[][] skewed = Partition.parse("dirichlet:0.1").split(labels, 10, 10, 5);
    int[][] iid = Partition.parse("iid").split(labels, 10, 10, 5);
    assertThat(Arrays.stream(skewed).mapToInt(p -> p.length).sum()).isEqualTo(labels.length);
    int[] all = Arrays.stream(skewed).flatMapToInt(Arrays::stream).sorted().toArray();
    assertThat(all).isEqualTo(java.util.stream.IntStream.range(0, labels.length).toArray());
    assertThat(Arrays.stream(skewed).allMatch(p -> p.length >= Partition.MIN_SAMPLES)).isTrue();
    assertThat(classesCovering(skewed, labels, 0.9)).isLessThan(classesCovering(iid, labels, 0.9));
    assertThatThrownBy(() -> Partition.parse("dirichlet:x"))
        .hasMessageContaining("dirichlet:ALPHA");
  }

  /** The mean number of classes a client needs to cover {@code share} of its samples. */
  private static double classesCovering(int[][] parts, int[] labels, double share) {
    double total = 0;
    for (int[] p : parts) {
      int[] counts = new int[10];
      for (int i : p) {
        counts[labels[i]]++;
      }
      Arrays.sort(counts);
      int need = 0;
      int have = 0;
      for (int k = 9; k >= 0 && have < share * p.length; k--) {
        have += counts[k];
        need++;
      }
      total += need;
    }
    return total / parts.length;
  }

  private static double norm(float[] v) {
    double s = 0;
    for (float x : v) {
      s += x * x;
    }
    return Math.sqrt(s);
  }
}
