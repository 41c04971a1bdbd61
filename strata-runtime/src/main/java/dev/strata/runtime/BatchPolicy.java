package dev.strata.runtime;

import dev.strata.core.StrataException;
import java.util.List;

/**
 * How the dynamic batcher forms batches, as in Triton: up to {@code maxRows} rows of requests with
 * the same shapes; a preferred size that can be formed from what is queued runs at once (the
 * largest one); otherwise the batch waits until it is full or the oldest request has waited {@code
 * delayNanos}. A model that does not batch runs its requests one by one.
 */
final class BatchPolicy {
  final boolean batching;
  final int maxRows;
  final long delayNanos;
  private final boolean[] preferred;
  private final int[] preferredSizes;

  BatchPolicy(int maxBatchSize, long delayMicros, List<Integer> preferredSizes) {
    this.batching = maxBatchSize > 0;
    this.maxRows = Math.max(1, maxBatchSize);
    this.delayNanos = batching ? Math.multiplyExact(delayMicros, 1000L) : 0;
    this.preferred = new boolean[maxRows + 1];
    this.preferredSizes = new int[batching ? preferredSizes.size() : 0];
    if (batching) {
      for (int i = 0; i < preferredSizes.size(); i++) {
        int size = preferredSizes.get(i);
        if (size > maxRows) {
          throw StrataException.invalid(
              "dynamic_batching.preferred_batch_sizes: %d is over max_batch_size %d",
              size, maxRows);
        }
        preferred[size] = true;
        this.preferredSizes[i] = size;
      }
    }
  }

  boolean hasPreferred() {
    return preferredSizes.length > 0;
  }

  boolean preferred(int rows) {
    return preferred[rows];
  }

  /** The row count at which a waiting batch should look again: the next preferred size or full. */
  int nextTarget(int rows) {
    for (int size : preferredSizes) {
      if (size > rows) {
        return size;
      }
    }
    return maxRows;
  }
}
