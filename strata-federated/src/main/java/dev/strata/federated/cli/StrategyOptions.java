package dev.strata.federated.cli;

import dev.strata.federated.aggregate.StrategySpec;
import picocli.CommandLine.Option;

/** The strategy options {@code simulate} and {@code start} share. */
public final class StrategyOptions {
  @Option(
      names = "--strategy",
      defaultValue = "fedavg",
      description = "One of: " + StrategySpec.NAMES + " (default: ${DEFAULT-VALUE}).")
  String strategy;

  @Option(
      names = "--mu",
      paramLabel = "MU",
      description = "FedProx's proximal coefficient (default 0.01).")
  Double mu;

  @Option(
      names = "--server-learning-rate",
      paramLabel = "ETA",
      description = "FedAvgM/FedAdam/FedYogi server learning rate (defaults 1, 0.01, 0.01).")
  Double serverLearningRate;

  @Option(
      names = "--server-momentum",
      paramLabel = "BETA",
      description = "FedAvgM momentum (default 0.9).")
  Double serverMomentum;

  @Option(
      names = "--trim",
      paramLabel = "BETA",
      description = "Trimmed mean: share cut per side (default 0.1).")
  Double trim;

  /** The strategy these options name, with its usual settings where not given. */
  StrategySpec spec() {
    StrategySpec base = StrategySpec.named(strategy);
    return switch (base) {
      case StrategySpec.FedProx p -> new StrategySpec.FedProx(mu != null ? mu : p.mu());
      case StrategySpec.FedAvgM m ->
          new StrategySpec.FedAvgM(
              serverLearningRate != null ? serverLearningRate : m.serverLearningRate(),
              serverMomentum != null ? serverMomentum : m.momentum());
      case StrategySpec.FedAdam a ->
          new StrategySpec.FedAdam(
              serverLearningRate != null ? serverLearningRate : a.serverLearningRate(),
              a.beta1(),
              a.beta2(),
              a.tau());
      case StrategySpec.FedYogi y ->
          new StrategySpec.FedYogi(
              serverLearningRate != null ? serverLearningRate : y.serverLearningRate(),
              y.beta1(),
              y.beta2(),
              y.tau());
      case StrategySpec.TrimmedMean t ->
          new StrategySpec.TrimmedMean(trim != null ? trim : t.beta());
      default -> base;
    };
  }
}
