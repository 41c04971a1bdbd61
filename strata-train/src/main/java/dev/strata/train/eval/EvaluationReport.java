package dev.strata.train.eval;

import dev.strata.train.training.EpochStats;
import java.util.List;
import java.util.Optional;

/**
 * What {@code metrics.json} holds: the model, the data it was evaluated on, the metrics, a
 * bootstrap interval of the main metric (accuracy, or RMSE for regression), optional k-fold
 * cross-validation results and the training history.
 */
public record EvaluationReport(
    int formatVersion,
    String model,
    String data,
    long parameterCount,
    Optional<ClassificationMetrics> classification,
    Optional<RegressionMetrics> regression,
    Bootstrap.Interval mainMetric,
    Optional<CrossValidation.Result> crossValidation,
    List<EpochStats> history) {
  public static final int FORMAT_VERSION = 1;
}
