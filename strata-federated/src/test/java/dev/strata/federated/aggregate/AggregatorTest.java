package dev.strata.federated.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.strata.core.StrataException;
import java.util.List;
import org.junit.jupiter.api.Test;

class AggregatorTest {
  private static ClientUpdate u(String id, long n, float... d) {
    return new ClientUpdate(id, d, n, 0);
  }

  @Test
  void fedAvgWeightsUpdatesBySamples() {
    Aggregator a = new Aggregator(new StrategySpec.FedAvg());
    float[] mean = a.combine(List.of(u("a", 1, 1f, 0f), u("b", 3, 5f, 4f)));
    assertThat(mean[0]).isCloseTo(4f, within(1e-6f));
    assertThat(mean[1]).isCloseTo(3f, within(1e-6f));
    assertThat(a.apply(new float[] {10, 10}, mean)).containsExactly(14f, 13f);
  }

  @Test
  void fedProxAggregatesAsFedAvgAndCarriesItsMu() {
    StrategySpec s = StrategySpec.named("fedprox");
    assertThat(s.proximalMu()).isEqualTo(0.01);
    float[] mean = new Aggregator(s).combine(List.of(u("a", 1, 2f), u("b", 1, 4f)));
    assertThat(mean[0]).isEqualTo(3f);
  }

  @Test
  void fedAvgMAccumulatesServerMomentum() {
    Aggregator a = new Aggregator(new StrategySpec.FedAvgM(0.5, 0.9));
    float[] w = a.apply(new float[] {0}, new float[] {1});
    assertThat(w[0]).isCloseTo(0.5f, within(1e-6f));
    w = a.apply(w, new float[] {1});
    // v = 0.9 * 1 + 1 = 1.9; w = 0.5 + 0.5 * 1.9
    assertThat(w[0]).isCloseTo(1.45f, within(1e-6f));
  }

  @Test
  void fedAdamFollowsReddiEtAl() {
    Aggregator a = new Aggregator(new StrategySpec.FedAdam(0.1, 0.9, 0.99, 1e-3));
    float[] w = a.apply(new float[] {1}, new float[] {-2});
    double m = 0.1 * -2;
    double v = 0.99 * 1e-6 + 0.01 * 4;
    assertThat((double) w[0]).isCloseTo(1 + 0.1 * m / (Math.sqrt(v) + 1e-3), within(1e-6));
    Aggregator.State st = a.state();
    assertThat(st.steps()).isEqualTo(1);
    Aggregator b = new Aggregator(a.spec());
    b.restore(st);
    assertThat(b.apply(w, new float[] {1})).containsExactly(a.apply(w, new float[] {1}));
  }

  @Test
  void runningStatisticsTakeTheMeanChangeWhateverTheServerOptimizer() {
    java.util.BitSet stats = new java.util.BitSet();
    stats.set(1);
    Aggregator a = new Aggregator(new StrategySpec.FedAdam(0.01, 0.9, 0.99, 1e-3), stats);
    float[] w = a.apply(new float[] {1, 1}, new float[] {-0.5f, -0.5f});
    assertThat(w[1]).isEqualTo(0.5f);
    assertThat(w[0]).isCloseTo(1f, within(0.02f)); // Adam moves it by about the server rate only
  }

  @Test
  void fedYogiMovesTheSecondMomentBySign() {
    Aggregator a = new Aggregator(new StrategySpec.FedYogi(0.1, 0.9, 0.99, 1e-3));
    float[] w = a.apply(new float[] {0}, new float[] {3});
    double v0 = 1e-6;
    double v = v0 - 0.01 * 9 * Math.signum(v0 - 9);
    double m = 0.1 * 3;
    assertThat((double) w[0]).isCloseTo(0.1 * m / (Math.sqrt(v) + 1e-3), within(1e-6));
  }

  @Test
  void robustStrategiesIgnoreAnOutlier() {
    List<ClientUpdate> ups =
        List.of(u("a", 1, 1f), u("b", 100, 2f), u("c", 1, 3f), u("d", 1, 4f), u("evil", 1, 1e6f));
    assertThat(new Aggregator(new StrategySpec.Median()).combine(ups)).containsExactly(3f);
    // beta 0.2 of 5 drops one on each side: mean of 2, 3, 4
    assertThat(new Aggregator(new StrategySpec.TrimmedMean(0.2)).combine(ups)).containsExactly(3f);
    assertThat(new Aggregator(new StrategySpec.FedAvg()).combine(ups)[0]).isGreaterThan(9000f);
    assertThat(new Aggregator(new StrategySpec.Median()).combine(ups.subList(0, 4)))
        .containsExactly(2.5f);
    assertThat(new StrategySpec.Median().needsEachUpdate()).isTrue();
  }

  @Test
  void badInputIsNamed() {
    Aggregator a = new Aggregator(new StrategySpec.FedAvg());
    assertThatThrownBy(() -> a.combine(List.of(u("a", 1, 1f), u("b", 1, 1f, 2f))))
        .isInstanceOf(StrataException.class)
        .hasMessageContaining("update from b: 2 parameters (expected: 1");
    assertThatThrownBy(() -> a.combine(List.of())).hasMessageContaining("no client updates");
    assertThatThrownBy(() -> StrategySpec.named("fedsgd"))
        .hasMessageContaining("'fedsgd'")
        .hasMessageContaining("fedyogi");
    assertThatThrownBy(() -> new StrategySpec.TrimmedMean(0.5)).hasMessageContaining("beta");
    assertThatThrownBy(() -> new ClientUpdate("x", new float[1], 0, 0))
        .hasMessageContaining("0 samples");
  }
}
