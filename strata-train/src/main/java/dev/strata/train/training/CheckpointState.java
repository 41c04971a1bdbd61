package dev.strata.train.training;

import java.util.List;

/**
 * What {@code state.json} in a checkpoint directory records after each epoch. It is written last
 * and atomically, so it always points at complete weight and optimizer files.
 *
 * @param epochsDone how many epochs have finished
 * @param parametersFile the weights after the last finished epoch
 * @param optimizerFile the optimizer state after the last finished epoch
 * @param bestEpoch the epoch with the best validation metric so far (0 when none)
 * @param bestMetric its value
 * @param stale epochs since the metric last improved (for early stopping)
 * @param stopped whether early stopping ended the run
 * @param stepsDone steps done in epoch {@code epochsDone + 1} when the checkpoint was taken inside
 *     it (data-parallel runs with a step interval), 0 after a whole epoch
 * @param workers how many data-parallel workers took those steps (0 or 1: one process)
 */
public record CheckpointState(
    int formatVersion,
    int epochsDone,
    String parametersFile,
    String optimizerFile,
    int bestEpoch,
    double bestMetric,
    int stale,
    boolean stopped,
    List<String> classes,
    String datasetDigest,
    List<EpochStats> history,
    int stepsDone,
    int workers) {
  public static final int FORMAT_VERSION = 1;

  public CheckpointState {
    classes = List.copyOf(classes);
    history = List.copyOf(history);
  }
}
