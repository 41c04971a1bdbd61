package dev.strata.train.training;

/** Receives progress while a model trains (the terminal progress bar, the JSON-lines log). */
public interface TrainingListener {
  /** After each step: running means over the epoch so far. */
  default void onStep(
      int epoch,
      int epochs,
      int step,
      int steps,
      double loss,
      double accuracy,
      double samplesPerSecond,
      double etaSeconds) {}

  default void onEpoch(EpochStats stats) {}

  /** Calls each listener in turn. */
  static TrainingListener all(TrainingListener... listeners) {
    return new TrainingListener() {
      @Override
      public void onStep(
          int epoch,
          int epochs,
          int step,
          int steps,
          double loss,
          double accuracy,
          double sps,
          double eta) {
        for (TrainingListener l : listeners) {
          l.onStep(epoch, epochs, step, steps, loss, accuracy, sps, eta);
        }
      }

      @Override
      public void onEpoch(EpochStats stats) {
        for (TrainingListener l : listeners) {
          l.onEpoch(stats);
        }
      }
    };
  }
}
