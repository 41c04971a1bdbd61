package dev.strata.federated.sim;

/**
 * One round of a simulation, as {@code rounds.json} holds it.
 *
 * @param epsilon ε at δ = 1e-5 spent so far (NaN without DP)
 * @param clientBytes mean bytes one reporting client sent and received for the round's aggregation
 *     (its update, and under secure aggregation the keys, shares and unmasking)
 * @param plainUpdateBytes the bytes of one plain update (4 per parameter), for comparison
 * @param secAggSeconds the time spent in secure aggregation's cryptography and unmasking, all
 *     clients and the server together
 */
public record RoundResult(
    int round,
    int participants,
    int dropped,
    double trainLoss,
    double testLoss,
    double testAccuracy,
    double epsilon,
    long clientBytes,
    long plainUpdateBytes,
    double secAggSeconds,
    double seconds) {}
