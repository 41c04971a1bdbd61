package dev.strata.federated.client;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import dev.strata.train.spec.TrainingOptions;

/**
 * How a client trains in one round: {@code epochs} passes over its local data in batches of {@code
 * batchSize} with a fresh {@code optimizer} (its state does not carry over between rounds), and
 * FedProx's proximal term μ/2·‖w − w_global‖² added to the loss when {@code proximalMu} > 0.
 */
public record LocalTraining(
    int epochs, int batchSize, TrainingOptions.Optimizer optimizer, double proximalMu) {
  public LocalTraining {
    requireNonNull(optimizer, "optimizer");
    if (epochs <= 0) {
      throw StrataException.invalid("local epochs: %d (expected: > 0)", epochs);
    }
    if (batchSize <= 0) {
      throw StrataException.invalid("local batch size: %d (expected: > 0)", batchSize);
    }
    if (!(proximalMu >= 0)) {
      throw StrataException.invalid("proximal mu: %s (expected: >= 0)", proximalMu);
    }
  }

  /** These settings with the strategy's proximal μ (FedProx's; 0 for the others). */
  public LocalTraining withProximal(dev.strata.federated.aggregate.StrategySpec strategy) {
    return new LocalTraining(epochs, batchSize, optimizer, strategy.proximalMu());
  }

  /** These settings with the optimizer at another learning rate (a schedule over rounds). */
  public LocalTraining withLearningRate(double lr) {
    TrainingOptions.Optimizer o =
        switch (optimizer) {
          case TrainingOptions.Optimizer.Sgd s ->
              new TrainingOptions.Optimizer.Sgd(lr, s.momentum(), s.weightDecay());
          case TrainingOptions.Optimizer.Adam a ->
              new TrainingOptions.Optimizer.Adam(
                  lr, a.beta1(), a.beta2(), a.epsilon(), a.weightDecay());
          case TrainingOptions.Optimizer.AdamW a ->
              new TrainingOptions.Optimizer.AdamW(
                  lr, a.beta1(), a.beta2(), a.epsilon(), a.weightDecay());
        };
    return new LocalTraining(epochs, batchSize, o, proximalMu);
  }

  /** The optimizer's learning rate. */
  public double learningRate() {
    return switch (optimizer) {
      case TrainingOptions.Optimizer.Sgd s -> s.learningRate();
      case TrainingOptions.Optimizer.Adam a -> a.learningRate();
      case TrainingOptions.Optimizer.AdamW a -> a.learningRate();
    };
  }

  /**
   * The learning rate of round {@code round} of {@code rounds} when it decays by a cosine from
   * {@code base} to {@code base · floor} over the rounds (floor 1: constant).
   */
  public static double cosine(double base, double floor, int round, int rounds) {
    if (rounds <= 1) {
      return base;
    }
    double t = (round - 1) / (double) (rounds - 1);
    double min = base * floor;
    return min + 0.5 * (base - min) * (1 + Math.cos(Math.PI * t));
  }

  /** Plain SGD with momentum at {@code learningRate}, the usual local optimizer of FedAvg. */
  public static TrainingOptions.Optimizer sgd(double learningRate, double momentum) {
    return new TrainingOptions.Optimizer.Sgd(learningRate, momentum, 0);
  }
}
