package dev.strata.train.eval;

import dev.strata.train.training.EpochStats;
import java.util.List;
import java.util.Optional;

/** Builds an {@link EvaluationReport} from model outputs on labelled data. */
public final class Evaluator {
  /** Bootstrap settings for the main metric's confidence interval. */
  public static final int RESAMPLES = 1000;

  public static final double LEVEL = 0.95;

  private Evaluator() {}

  /** A classification report from class scores. */
  public static EvaluationReport classification(
      String model,
      String data,
      long parameterCount,
      List<String> classes,
      int[] labels,
      float[][] scores,
      Optional<CrossValidation.Result> cv,
      List<EpochStats> history,
      long seed) {
    ClassificationMetrics m = ClassificationMetrics.compute(labels, scores, classes);
    boolean[] correct = new boolean[labels.length];
    for (int i = 0; i < labels.length; i++) {
      correct[i] = ClassificationMetrics.argMax(scores[i]) == labels[i];
    }
    Bootstrap.Interval ci =
        Bootstrap.interval(
            labels.length, idx -> Bootstrap.accuracy(correct, idx), LEVEL, RESAMPLES, seed);
    return new EvaluationReport(
        EvaluationReport.FORMAT_VERSION,
        model,
        data,
        parameterCount,
        Optional.of(m),
        Optional.empty(),
        ci,
        cv,
        history);
  }

  /** A regression report from predicted values. */
  public static EvaluationReport regression(
      String model,
      String data,
      long parameterCount,
      float[] targets,
      float[] predictions,
      Optional<CrossValidation.Result> cv,
      List<EpochStats> history,
      long seed) {
    RegressionMetrics m = RegressionMetrics.compute(targets, predictions);
    Bootstrap.Interval ci =
        Bootstrap.interval(
            targets.length,
            idx -> {
              double sq = 0;
              for (int i : idx) {
                double e = predictions[i] - targets[i];
                sq += e * e;
              }
              return Math.sqrt(sq / idx.length);
            },
            LEVEL,
            RESAMPLES,
            seed);
    return new EvaluationReport(
        EvaluationReport.FORMAT_VERSION,
        model,
        data,
        parameterCount,
        Optional.empty(),
        Optional.of(m),
        ci,
        cv,
        history);
  }
}
