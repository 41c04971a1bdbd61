package dev.strata.distributed;

import static java.util.Objects.requireNonNull;

import dev.strata.distributed.comm.RingAllReduce;
import dev.strata.train.training.DataParallel;

/**
 * Synchronous data-parallel training by ring all-reduce: every step's scaled gradients are summed
 * across the workers, and each worker's own optimizer applies the same sum, so the weights stay
 * identical everywhere without ever being sent.
 */
public final class RingParallel implements DataParallel {
  private final RingAllReduce ring;
  private final int rank;
  private final int checkpointEvery;
  private long bytesReduced;
  private long nanosInExchange;

  public RingParallel(RingAllReduce ring, int rank, int checkpointEvery) {
    this.ring = requireNonNull(ring, "ring");
    this.rank = rank;
    this.checkpointEvery = checkpointEvery;
  }

  @Override
  public int rank() {
    return rank;
  }

  @Override
  public int workers() {
    return ring.workers();
  }

  @Override
  public boolean start(float[] weights, long step) {
    // every worker initialises from the spec's seed: the weights already agree
    return false;
  }

  @Override
  public Combined combine(float[] vector, long step, float learningRate) {
    long t = System.nanoTime();
    ring.sumInPlace(vector);
    nanosInExchange += System.nanoTime() - t;
    bytesReduced += 4L * vector.length;
    return Combined.GRADIENTS;
  }

  @Override
  public double[] sum(double[] values) {
    return ring.sum(values);
  }

  @Override
  public int checkpointEvery() {
    return checkpointEvery;
  }

  /** Seconds spent waiting for and summing gradients. */
  public double secondsInExchange() {
    return nanosInExchange / 1e9;
  }

  /** Bytes of gradient vectors reduced (each worker sends 2(n-1)/n of this). */
  public long bytesReduced() {
    return bytesReduced;
  }
}
