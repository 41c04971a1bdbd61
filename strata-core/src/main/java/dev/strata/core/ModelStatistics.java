package dev.strata.core;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * Per model version counters, shaped like the Open Inference Protocol statistics extension (as in
 * Triton): cumulative counts and nanoseconds since the version was loaded.
 *
 * @param name the model
 * @param version the version
 * @param lastInference milliseconds since the epoch of the last inference, 0 if none
 * @param inferenceCount inferences done (a batch of n counts n)
 * @param executionCount model executions (a batch of n counts 1)
 * @param inferenceStats request-level durations
 * @param batchStats execution durations per batch size, ascending
 */
public record ModelStatistics(
    String name,
    String version,
    long lastInference,
    long inferenceCount,
    long executionCount,
    InferenceStats inferenceStats,
    List<BatchStats> batchStats) {
  public ModelStatistics {
    requireNonNull(name, "name");
    requireNonNull(version, "version");
    requireNonNull(inferenceStats, "inferenceStats");
    batchStats = List.copyOf(batchStats);
  }

  /** A count and the nanoseconds spent in total. */
  public record Duration(long count, long ns) {
    public static final Duration ZERO = new Duration(0, 0);
  }

  /**
   * Request-level statistics: successes and failures (end to end), time queued, and the three
   * compute phases (copying inputs in, running the model, copying outputs out).
   */
  public record InferenceStats(
      Duration success,
      Duration fail,
      Duration queue,
      Duration computeInput,
      Duration computeInfer,
      Duration computeOutput) {}

  /** The compute phases of executions of one batch size. */
  public record BatchStats(
      int batchSize, Duration computeInput, Duration computeInfer, Duration computeOutput) {}
}
