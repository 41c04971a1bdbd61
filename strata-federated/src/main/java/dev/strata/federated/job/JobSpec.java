package dev.strata.federated.job;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import dev.strata.federated.aggregate.StrategySpec;
import java.time.Duration;
import java.util.Optional;

/**
 * A federated job as the cloud's API takes it.
 *
 * @param model the registered model whose version starts the job (its training spec travels in the
 *     version's provenance)
 * @param version that version
 * @param selector which nodes may train (a label selector; nodes must also have the training
 *     capability)
 * @param rounds how many rounds
 * @param clientsPerRound how many nodes train in a round (fewer when fewer are available)
 * @param minClients the fewest updates a round may aggregate; a round with fewer is run again
 * @param roundDeadline how long the nodes of a round have to train and report; those that have not
 *     by then are cut (stragglers) or have dropped; under secure aggregation each later step gets a
 *     quarter of it
 * @param local how each node trains
 * @param strategy the server's strategy
 * @param secureAggregation whether the cloud sees only the sum of the updates
 * @param clippingRange secure aggregation's per-element range
 * @param dropoutTolerance the share of a round's nodes that may drop after masking
 * @param privacy client-level differential privacy, when on
 */
public record JobSpec(
    String model,
    String version,
    String selector,
    int rounds,
    int clientsPerRound,
    int minClients,
    Duration roundDeadline,
    Local local,
    StrategySpec strategy,
    boolean secureAggregation,
    double clippingRange,
    double dropoutTolerance,
    Optional<Privacy> privacy) {

  /** Local training: epochs, batch size and SGD with momentum. */
  public record Local(int epochs, int batchSize, double learningRate, double momentum) {
    public Local {
      if (epochs <= 0
          || batchSize <= 0
          || !(learningRate > 0)
          || !(momentum >= 0 && momentum < 1)) {
        throw StrataException.invalid(
            "local: epochs %d, batch_size %d, learning_rate %s, momentum %s (expected: epochs and batch size > 0, learning rate > 0, 0 <= momentum < 1)",
            epochs, batchSize, learningRate, momentum);
      }
    }
  }

  /**
   * Client-level DP.
   *
   * @param noiseMultiplier σ
   * @param clip the L2 bound C of an update
   * @param budget ε at δ = 1e-5 the job may spend
   * @param stopAtBudget stop the job before a round would exceed the budget (else warn and go on)
   */
  public record Privacy(double noiseMultiplier, double clip, double budget, boolean stopAtBudget) {
    public Privacy {
      if (!(noiseMultiplier > 0) || !(clip > 0) || !(budget > 0)) {
        throw StrataException.invalid(
            "privacy: noise_multiplier %s, clip %s, budget %s (expected: all > 0)",
            noiseMultiplier, clip, budget);
      }
    }
  }

  public JobSpec {
    requireNonNull(model, "model");
    requireNonNull(version, "version");
    selector = selector == null ? "" : selector;
    requireNonNull(roundDeadline, "roundDeadline");
    requireNonNull(local, "local");
    requireNonNull(strategy, "strategy");
    privacy = privacy == null ? Optional.empty() : privacy;
    if (rounds < 1 || rounds > 10_000) {
      throw StrataException.invalid("rounds: %d (expected: 1..10000)", rounds);
    }
    if (clientsPerRound < 1) {
      throw StrataException.invalid("clients_per_round: %d (expected: > 0)", clientsPerRound);
    }
    if (minClients < 1 || minClients > clientsPerRound) {
      throw StrataException.invalid(
          "min_clients: %d (expected: 1..%d, the clients per round)", minClients, clientsPerRound);
    }
    if (roundDeadline.isNegative() || roundDeadline.isZero()) {
      throw StrataException.invalid("round_deadline: %s (expected: > 0)", roundDeadline);
    }
    if (secureAggregation && strategy.needsEachUpdate()) {
      throw StrataException.invalid(
          "strategy %s needs every node's update, which secure aggregation hides (expected: fedavg, fedprox, fedavgm, fedadam or fedyogi)",
          strategy.name());
    }
    if (secureAggregation && minClients < 2) {
      throw StrataException.invalid(
          "secure aggregation: min_clients %d (expected: at least 2, or the sum is one node's update)",
          minClients);
    }
    if (privacy.isPresent() && strategy.needsEachUpdate()) {
      throw StrataException.invalid(
          "privacy: strategy %s is not a mean (expected: a mean strategy)", strategy.name());
    }
    if (!(clippingRange > 0)) {
      throw StrataException.invalid("clipping_range: %s (expected: > 0)", clippingRange);
    }
    if (!(dropoutTolerance >= 0 && dropoutTolerance < 0.5)) {
      throw StrataException.invalid(
          "dropout_tolerance: %s (expected: 0 <= share < 0.5)", dropoutTolerance);
    }
  }
}
