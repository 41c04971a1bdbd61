package dev.strata.train.training;

/**
 * Data-parallel training: this process is worker {@link #rank} of {@link #workers}. Every worker
 * draws the same shuffled order each epoch (as PyTorch's {@code DistributedSampler} does); a step
 * takes {@code workers × batchSize} samples of it and worker {@code r} trains on the {@code r}-th
 * {@code batchSize} of them. After the backward pass its gradients, scaled by its share of the
 * step's samples, go to {@link #combine}; what comes back is either the sum over all workers — the
 * gradient of the whole step's mean loss, which the local optimizer applies — or new weights (a
 * parameter server applied the update). Only rank 0 writes the checkpoint.
 *
 * <p>Synchronous training with N workers therefore gives the weights of one worker with batch
 * {@code N × batchSize} over the same order, for networks whose forward pass treats samples
 * independently (batch normalisation uses each worker's own batch statistics, as PyTorch's DDP does
 * without {@code SyncBatchNorm}).
 */
public interface DataParallel {
  /** What {@link #combine} left in the vector. */
  enum Combined {
    /** The sum of all workers' scaled gradients: apply it with the local optimizer. */
    GRADIENTS,
    /** The weights after the update (a parameter server's): load them, do not step. */
    WEIGHTS
  }

  int rank();

  int workers();

  /**
   * The initial weights (flattened in parameter order): a parameter server's worker replaces them
   * with the server's, so every worker starts from the same point; otherwise left as they are.
   *
   * @return whether {@code weights} was replaced
   */
  boolean start(float[] weights, long step);

  /**
   * Combines this step's gradients across the workers.
   *
   * @param vector this worker's gradients times its share of the step's samples (zero when it had
   *     none); replaced by the result
   * @param step the optimizer step this is (1 for the first)
   * @param learningRate the schedule's rate at this step (for a parameter server's update)
   */
  Combined combine(float[] vector, long step, float learningRate);

  /** Element-wise sums of a few statistics over the workers (a collective: all must call it). */
  double[] sum(double[] values);

  /**
   * Optimizer steps between the checkpoints rank 0 writes inside an epoch (0: after epochs only).
   */
  int checkpointEvery();

  /** Called on every worker after each step with the epoch and the steps done in it. */
  default void afterStep(int epoch, int stepsDone, long globalStep) {}

  /**
   * Called on every worker after rank 0 wrote a checkpoint of the weights after {@code globalStep}
   * optimizer steps (a parameter server keeps its optimizer's state of that step, so that a run
   * resumed from the checkpoint goes on with it).
   */
  default void checkpointed(long globalStep) {}
}
