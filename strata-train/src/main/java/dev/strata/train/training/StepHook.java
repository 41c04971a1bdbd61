package dev.strata.train.training;

import ai.djl.nn.SequentialBlock;

/**
 * Called by {@link ModelTrainer#fineTune} after every optimizer step, with the number of steps
 * taken so far; a pruning schedule uses it to keep pruned weights at zero.
 */
@FunctionalInterface
public interface StepHook {
  StepHook NONE = (block, step) -> {};

  void afterStep(SequentialBlock block, long step);
}
