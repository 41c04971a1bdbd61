package dev.strata.runtime;

import dev.strata.core.ModelStatistics;
import dev.strata.core.ModelStatistics.BatchStats;
import dev.strata.core.ModelStatistics.Duration;
import dev.strata.core.ModelStatistics.InferenceStats;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The statistics extension's counters for one version, cumulative since it loaded. Updated once per
 * execution (not once per request) by the workers, and once per failed request; read as a {@link
 * ModelStatistics} snapshot. As in Triton, each request of a batch counts the batch's compute
 * durations.
 */
final class VersionStats {
  private final Counter success = new Counter();
  private final Counter fail = new Counter();
  private final Counter queue = new Counter();
  private final Counter computeInput = new Counter();
  private final Counter computeInfer = new Counter();
  private final Counter computeOutput = new Counter();
  private final LongAdder inferenceCount = new LongAdder();
  private final LongAdder executionCount = new LongAdder();
  private final AtomicReferenceArray<BatchCounters> byBatchSize;
  private volatile long lastInference;

  VersionStats(int maxRows) {
    this.byBatchSize = new AtomicReferenceArray<>(maxRows + 1);
  }

  /** One execution of {@code rows} rows for {@code requests} requests. */
  void execution(
      int rows, int requests, long inputNs, long inferNs, long outputNs, long nowMillis) {
    inferenceCount.add(rows);
    executionCount.increment();
    computeInput.add(requests, requests * inputNs);
    computeInfer.add(requests, requests * inferNs);
    computeOutput.add(requests, requests * outputNs);
    batch(rows).add(inputNs, inferNs, outputNs);
    lastInference = nowMillis;
  }

  /** {@code requests} successes taking {@code totalNs} in all, {@code queueNs} of it queued. */
  void success(int requests, long totalNs, long queueNs) {
    success.add(requests, totalNs);
    queue.add(requests, queueNs);
  }

  void failure(long ns) {
    fail.add(1, ns);
  }

  ModelStatistics snapshot(String model, String version) {
    List<BatchStats> batches = new ArrayList<>();
    for (int size = 1; size < byBatchSize.length(); size++) {
      BatchCounters c = byBatchSize.get(size);
      if (c != null) {
        batches.add(
            new BatchStats(size, c.input.snapshot(), c.infer.snapshot(), c.output.snapshot()));
      }
    }
    return new ModelStatistics(
        model,
        version,
        lastInference,
        inferenceCount.sum(),
        executionCount.sum(),
        new InferenceStats(
            success.snapshot(),
            fail.snapshot(),
            queue.snapshot(),
            computeInput.snapshot(),
            computeInfer.snapshot(),
            computeOutput.snapshot()),
        batches);
  }

  private BatchCounters batch(int rows) {
    BatchCounters c = byBatchSize.get(rows);
    if (c == null) {
      byBatchSize.compareAndSet(rows, null, new BatchCounters());
      c = byBatchSize.get(rows);
    }
    return c;
  }

  private static final class Counter {
    private final LongAdder count = new LongAdder();
    private final LongAdder ns = new LongAdder();

    void add(long n, long nanos) {
      count.add(n);
      ns.add(nanos);
    }

    Duration snapshot() {
      return new Duration(count.sum(), ns.sum());
    }
  }

  private static final class BatchCounters {
    final Counter input = new Counter();
    final Counter infer = new Counter();
    final Counter output = new Counter();

    void add(long inputNs, long inferNs, long outputNs) {
      input.add(1, inputNs);
      infer.add(1, inferNs);
      output.add(1, outputNs);
    }
  }
}
