package dev.strata.federated.aggregate;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * The server's side of a strategy: combines a round's updates into one mean update and applies it
 * to the global parameters, keeping the server optimizer's state (momentum, moments) from round to
 * round. Not thread-safe: one round at a time.
 */
public final class Aggregator {
  private final StrategySpec spec;
  private final BitSet statistics;
  private float[] first;
  private float[] second;
  private long steps;

  public Aggregator(StrategySpec spec) {
    this(spec, new BitSet());
  }

  /**
   * An aggregator whose server optimizer leaves the {@code statistics} positions alone: running
   * statistics (batch normalisation's mean and variance) are not gradients, so they take the
   * clients' mean change as FedAvg does whatever the strategy; momentum or Adam on them would keep
   * them from following the data.
   */
  public Aggregator(StrategySpec spec, BitSet statistics) {
    this.spec = requireNonNull(spec, "spec");
    this.statistics = (BitSet) statistics.clone();
  }

  public StrategySpec spec() {
    return spec;
  }

  /**
   * The round's combined update: the sample-weighted mean for the mean strategies, the
   * coordinate-wise median or trimmed mean (each client counted once) for the robust ones.
   */
  public float[] combine(List<ClientUpdate> updates) {
    if (updates.isEmpty()) {
      throw StrataException.invalid("aggregate: no client updates (expected: at least one)");
    }
    int n = updates.getFirst().delta().length;
    for (ClientUpdate u : updates) {
      if (u.delta().length != n) {
        throw StrataException.invalid(
            "update from %s: %d parameters (expected: %d, the global model's)",
            u.client(), u.delta().length, n);
      }
    }
    return switch (spec) {
      case StrategySpec.Median m -> trimmed(updates, n, -1);
      case StrategySpec.TrimmedMean t -> trimmed(updates, n, t.beta());
      default -> weightedMean(updates, n);
    };
  }

  /** Applies a combined update to {@code global}, returning the next global parameters. */
  public float[] apply(float[] global, float[] delta) {
    if (global.length != delta.length) {
      throw StrataException.invalid(
          "aggregate: update of %d parameters for a model of %d", delta.length, global.length);
    }
    float[] next = new float[global.length];
    steps++;
    switch (spec) {
      case StrategySpec.FedAvgM m -> {
        first = first == null ? new float[global.length] : first;
        float beta = (float) m.momentum();
        float lr = (float) m.serverLearningRate();
        for (int i = 0; i < next.length; i++) {
          first[i] = beta * first[i] + delta[i];
          next[i] = global[i] + lr * first[i];
        }
      }
      case StrategySpec.FedAdam a ->
          adaptive(
              global, delta, next, a.serverLearningRate(), a.beta1(), a.beta2(), a.tau(), false);
      case StrategySpec.FedYogi y ->
          adaptive(
              global, delta, next, y.serverLearningRate(), y.beta1(), y.beta2(), y.tau(), true);
      default -> {
        for (int i = 0; i < next.length; i++) {
          next[i] = global[i] + delta[i];
        }
      }
    }
    for (int i = statistics.nextSetBit(0);
        i >= 0 && i < next.length;
        i = statistics.nextSetBit(i + 1)) {
      next[i] = global[i] + delta[i];
    }
    return next;
  }

  /** The server optimizer's state, to resume a job: first and second moments (may be null). */
  public State state() {
    return new State(
        steps, first == null ? null : first.clone(), second == null ? null : second.clone());
  }

  /** Restores {@link #state()}. */
  public void restore(State s) {
    steps = s.steps();
    first = s.first() == null ? null : s.first().clone();
    second = s.second() == null ? null : s.second().clone();
  }

  /** The server optimizer's state after {@code steps} rounds. */
  public record State(long steps, float[] first, float[] second) {}

  // Reddi et al. 2021, Algorithm 2: no bias correction, tau as the denominator's epsilon; Yogi's
  // second moment starts at tau^2 as in the paper.
  private void adaptive(
      float[] global,
      float[] delta,
      float[] next,
      double lr,
      double b1,
      double b2,
      double tau,
      boolean yogi) {
    if (first == null) {
      first = new float[global.length];
      second = new float[global.length];
      Arrays.fill(second, (float) (tau * tau));
    }
    for (int i = 0; i < next.length; i++) {
      double d = delta[i];
      double m = b1 * first[i] + (1 - b1) * d;
      double d2 = d * d;
      double v =
          yogi
              ? second[i] - (1 - b2) * d2 * Math.signum(second[i] - d2)
              : b2 * second[i] + (1 - b2) * d2;
      first[i] = (float) m;
      second[i] = (float) v;
      next[i] = (float) (global[i] + lr * m / (Math.sqrt(v) + tau));
    }
  }

  private static float[] weightedMean(List<ClientUpdate> updates, int n) {
    double total = 0;
    for (ClientUpdate u : updates) {
      total += u.samples();
    }
    double[] sum = new double[n];
    for (ClientUpdate u : updates) {
      double w = u.samples() / total;
      float[] d = u.delta();
      for (int i = 0; i < n; i++) {
        sum[i] += w * d[i];
      }
    }
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) sum[i];
    }
    return out;
  }

  /** Median when {@code beta} < 0, else the mean of what is left after trimming beta per side. */
  private static float[] trimmed(List<ClientUpdate> updates, int n, double beta) {
    int k = updates.size();
    float[] column = new float[k];
    float[] out = new float[n];
    int cut = beta < 0 ? 0 : (int) Math.floor(beta * k);
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < k; c++) {
        column[c] = updates.get(c).delta()[i];
      }
      Arrays.sort(column);
      if (beta < 0) {
        out[i] = k % 2 == 1 ? column[k / 2] : (column[k / 2 - 1] + column[k / 2]) / 2f;
      } else {
        double s = 0;
        for (int c = cut; c < k - cut; c++) {
          s += column[c];
        }
        out[i] = (float) (s / (k - 2 * cut));
      }
    }
    return out;
  }
}
