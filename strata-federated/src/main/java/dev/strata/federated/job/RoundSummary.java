package dev.strata.federated.job;

/**
 * One completed round of a job.
 *
 * @param selected the nodes chosen for the round (its last attempt)
 * @param participants the updates aggregated
 * @param dropouts chosen nodes that stopped answering during the round
 * @param stragglers chosen nodes still there but too late, cut at the deadline
 * @param attempts how many times the round ran (a round short of nodes runs again)
 * @param trainLoss the sample-weighted mean of the nodes' training losses
 * @param evalLoss the global model's loss on the nodes' held-out parts, before local training
 * @param evalAccuracy its accuracy there
 * @param epsilon ε at δ = 1e-5 spent so far (NaN without DP)
 */
public record RoundSummary(
    int round,
    int selected,
    int participants,
    int dropouts,
    int stragglers,
    int attempts,
    double trainLoss,
    double evalLoss,
    double evalAccuracy,
    long evalSamples,
    double epsilon,
    double seconds) {}
