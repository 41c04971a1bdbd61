package dev.strata.train.training;

/**
 * One finished epoch, as written to the JSON-lines log. Validation fields are NaN when there is no
 * validation data; accuracy fields are NaN for regression.
 */
public record EpochStats(
    int epoch,
    double trainLoss,
    double trainAccuracy,
    double validationLoss,
    double validationAccuracy,
    double learningRate,
    double seconds,
    double samplesPerSecond) {}
