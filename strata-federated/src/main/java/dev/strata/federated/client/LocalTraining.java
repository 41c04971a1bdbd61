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

  /** Plain SGD with momentum at {@code learningRate}, the usual local optimizer of FedAvg. */
  public static TrainingOptions.Optimizer sgd(double learningRate, double momentum) {
    return new TrainingOptions.Optimizer.Sgd(learningRate, momentum, 0);
  }
}
