package dev.strata.federated.aggregate;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.strata.core.StrataException;
import java.util.Locale;

/**
 * How the server turns a round's client updates into the next global model. The weighted mean
 * strategies follow McMahan et al. 2017 (FedAvg), Li et al. 2020 (FedProx: the same server, a
 * proximal term in the clients' loss), Hsu et al. 2019 (FedAvgM) and Reddi et al. 2021 (FedAdam,
 * FedYogi: the mean update is a pseudo-gradient for a server optimizer). The robust ones (Yin et
 * al. 2018) need every client's update, so they cannot run under secure aggregation.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(StrategySpec.FedAvg.class),
  @JsonSubTypes.Type(StrategySpec.FedProx.class),
  @JsonSubTypes.Type(StrategySpec.FedAvgM.class),
  @JsonSubTypes.Type(StrategySpec.FedAdam.class),
  @JsonSubTypes.Type(StrategySpec.FedYogi.class),
  @JsonSubTypes.Type(StrategySpec.Median.class),
  @JsonSubTypes.Type(StrategySpec.TrimmedMean.class)
})
public sealed interface StrategySpec {
  /** The names {@link #named} takes. */
  String NAMES = "fedavg, fedprox, fedavgm, fedadam, fedyogi, median, trimmed-mean";

  /** The proximal coefficient μ the clients add to their loss (0 unless FedProx). */
  default double proximalMu() {
    return 0;
  }

  /** Whether the strategy needs each client's update (so no secure aggregation). */
  default boolean needsEachUpdate() {
    return false;
  }

  /** The strategy's name as the CLI and the job API spell it. */
  String name();

  @JsonTypeName("fedavg")
  record FedAvg() implements StrategySpec {
    @Override
    public String name() {
      return "fedavg";
    }
  }

  /** FedAvg on the server; each client minimises loss + μ/2·‖w − w_global‖². */
  @JsonTypeName("fedprox")
  record FedProx(double mu) implements StrategySpec {
    public FedProx {
      positive("fedprox mu", mu, true);
    }

    @Override
    public double proximalMu() {
      return mu;
    }

    @Override
    public String name() {
      return "fedprox";
    }
  }

  /** Server momentum: v = β·v + Δ, w += η·v. */
  @JsonTypeName("fedavgm")
  record FedAvgM(double serverLearningRate, double momentum) implements StrategySpec {
    public FedAvgM {
      positive("fedavgm server_learning_rate", serverLearningRate, false);
      unit("fedavgm momentum", momentum);
    }

    @Override
    public String name() {
      return "fedavgm";
    }
  }

  /** Adam on the server with the mean update as the (negative) gradient; τ is its ε. */
  @JsonTypeName("fedadam")
  record FedAdam(double serverLearningRate, double beta1, double beta2, double tau)
      implements StrategySpec {
    public FedAdam {
      adaptive("fedadam", serverLearningRate, beta1, beta2, tau);
    }

    @Override
    public String name() {
      return "fedadam";
    }
  }

  /** Yogi on the server: the second moment moves by sign(v − Δ²)·Δ², not towards Δ². */
  @JsonTypeName("fedyogi")
  record FedYogi(double serverLearningRate, double beta1, double beta2, double tau)
      implements StrategySpec {
    public FedYogi {
      adaptive("fedyogi", serverLearningRate, beta1, beta2, tau);
    }

    @Override
    public String name() {
      return "fedyogi";
    }
  }

  /** Coordinate-wise median of the updates (unweighted). */
  @JsonTypeName("median")
  record Median() implements StrategySpec {
    @Override
    public boolean needsEachUpdate() {
      return true;
    }

    @Override
    public String name() {
      return "median";
    }
  }

  /** Coordinate-wise mean after dropping the {@code beta} share of largest and smallest values. */
  @JsonTypeName("trimmed-mean")
  record TrimmedMean(double beta) implements StrategySpec {
    public TrimmedMean {
      if (!(beta >= 0 && beta < 0.5)) {
        throw StrataException.invalid("trimmed-mean beta: %s (expected: 0 <= beta < 0.5)", beta);
      }
    }

    @Override
    public boolean needsEachUpdate() {
      return true;
    }

    @Override
    public String name() {
      return "trimmed-mean";
    }
  }

  /**
   * A strategy by name with its usual settings: FedProx μ = 0.01; FedAvgM η = 1, β = 0.9; FedAdam
   * and FedYogi η = 0.01, β1 = 0.9, β2 = 0.99, τ = 1e-3 (Reddi et al.'s grid); trimmed mean β =
   * 0.1.
   */
  static StrategySpec named(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "fedavg" -> new FedAvg();
      case "fedprox" -> new FedProx(0.01);
      case "fedavgm" -> new FedAvgM(1.0, 0.9);
      case "fedadam" -> new FedAdam(0.01, 0.9, 0.99, 1e-3);
      case "fedyogi" -> new FedYogi(0.01, 0.9, 0.99, 1e-3);
      case "median" -> new Median();
      case "trimmed-mean", "trimmed_mean" -> new TrimmedMean(0.1);
      default -> throw StrataException.invalid("strategy: '%s' (expected one of: %s)", name, NAMES);
    };
  }

  private static void positive(String what, double v, boolean zeroOk) {
    if (!(zeroOk ? v >= 0 : v > 0) || !Double.isFinite(v)) {
      throw StrataException.invalid("%s: %s (expected: %s)", what, v, zeroOk ? ">= 0" : "> 0");
    }
  }

  private static void unit(String what, double v) {
    if (!(v >= 0 && v < 1)) {
      throw StrataException.invalid("%s: %s (expected: 0 <= value < 1)", what, v);
    }
  }

  private static void adaptive(String what, double lr, double b1, double b2, double tau) {
    positive(what + " server_learning_rate", lr, false);
    unit(what + " beta1", b1);
    unit(what + " beta2", b2);
    positive(what + " tau", tau, false);
  }
}
