package dev.strata.federated.sim;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import dev.strata.federated.aggregate.StrategySpec;
import dev.strata.federated.client.LocalTraining;
import dev.strata.federated.privacy.ClientPrivacy;
import java.util.Optional;

/**
 * One simulated federated job.
 *
 * @param clients how many clients the training data is dealt out to
 * @param perRound how many of them train in each round (sampled without replacement)
 * @param rounds how many rounds
 * @param partition how the data is dealt out
 * @param strategy the server's strategy
 * @param local how each client trains in a round
 * @param secureAggregation whether updates are summed under secure aggregation
 * @param clippingRange secure aggregation's per-element range for the updates
 * @param privacy client-level DP (clip norm and noise multiplier), when on
 * @param dropout the share of each round's clients that drop (after masking, under secure
 *     aggregation; their update never arrives otherwise)
 * @param learningRateFloor the local learning rate decays by a cosine over the rounds to this share
 *     of its start (1: constant)
 * @param seed the seed of the partition, the sampling, the dropouts and the local training
 */
public record SimulationOptions(
    int clients,
    int perRound,
    int rounds,
    Partition partition,
    StrategySpec strategy,
    LocalTraining local,
    boolean secureAggregation,
    double clippingRange,
    Optional<ClientPrivacy> privacy,
    double dropout,
    double learningRateFloor,
    long seed) {
  public SimulationOptions {
    requireNonNull(partition, "partition");
    requireNonNull(strategy, "strategy");
    requireNonNull(local, "local");
    requireNonNull(privacy, "privacy");
    if (perRound < 1 || perRound > clients) {
      throw StrataException.invalid(
          "per-round: %d (expected: 1..%d, the clients)", perRound, clients);
    }
    if (rounds < 1) {
      throw StrataException.invalid("rounds: %d (expected: > 0)", rounds);
    }
    if (secureAggregation && strategy.needsEachUpdate()) {
      throw StrataException.invalid(
          "strategy %s needs every client's update, which secure aggregation hides (expected: fedavg, fedprox, fedavgm, fedadam or fedyogi)",
          strategy.name());
    }
    if (secureAggregation && perRound < 3) {
      throw StrataException.invalid(
          "secure aggregation: %d clients per round (expected: at least 3)", perRound);
    }
    if (!(learningRateFloor > 0 && learningRateFloor <= 1)) {
      throw StrataException.invalid(
          "learning rate floor: %s (expected: 0 < share <= 1)", learningRateFloor);
    }
    if (!(dropout >= 0 && dropout < 1)) {
      throw StrataException.invalid("dropout: %s (expected: 0 <= share < 1)", dropout);
    }
    if (privacy.isPresent() && strategy.needsEachUpdate()) {
      throw StrataException.invalid(
          "differential privacy: strategy %s is not a mean (expected: a mean strategy)",
          strategy.name());
    }
  }
}
