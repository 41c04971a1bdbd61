package dev.strata.runtime;

import dev.strata.core.ErrorCode;
import dev.strata.core.InferenceResponse;
import dev.strata.core.ModelStatistics;
import dev.strata.core.StrataException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One loaded version of a model: its signature, its queue and batcher, its instances, its
 * statistics and meters. Lifecycle: built and warmed up by {@link ModelLoader}, {@link #start()}ed,
 * then retired: {@link #closeQueue()} (no new requests; queued ones still run), {@link
 * #awaitWorkers(long)}, {@link #abort(String)} if the drain ran out of time, {@link #close()}.
 */
final class ModelVersion implements AutoCloseable {
  final String model;
  final long number;
  final String label;
  final ModelSignature signature;

  /** The configuration this version was loaded with (before the ONNX file filled its gaps). */
  final ModelConfig config;

  final BatchPolicy policy;
  final RequestQueue queue;
  final VersionStats stats;
  final VersionMetrics metrics;
  final Object fingerprint;

  /** Why a derived max_batch_size was turned off by the {@link BatchProbe}; empty otherwise. */
  final Optional<String> batchingOff;

  private final long defaultTimeoutNanos;
  private final ScheduledExecutorService timer;
  private final Clock clock;
  private List<ModelInstance> instances = List.of();
  private volatile boolean ownsMetrics = true;

  ModelVersion(
      String model,
      long number,
      ModelSignature signature,
      ModelConfig config,
      BatchPolicy policy,
      int queueCapacity,
      long defaultTimeoutMicros,
      Object fingerprint,
      VersionMetrics metrics,
      ScheduledExecutorService timer,
      Clock clock,
      Optional<String> batchingOff) {
    this.model = model;
    this.number = number;
    this.label = Long.toString(number);
    this.signature = signature;
    this.config = config;
    this.policy = policy;
    this.queue = new RequestQueue(policy, signature, queueCapacity);
    this.stats = new VersionStats(policy.maxRows);
    this.metrics = metrics;
    this.fingerprint = fingerprint;
    this.defaultTimeoutNanos = TimeUnit.MICROSECONDS.toNanos(defaultTimeoutMicros);
    this.timer = timer;
    this.clock = clock;
    this.batchingOff = batchingOff;
    metrics.pending(queue::size);
  }

  void instances(List<ModelInstance> instances) {
    this.instances = List.copyOf(instances);
  }

  List<ModelInstance> instances() {
    return instances;
  }

  void start() {
    for (ModelInstance i : instances) {
      i.start();
    }
  }

  /**
   * Validates and queues a request.
   *
   * @return ACCEPTED, FULL, or CLOSED when this version is retiring (the caller re-routes)
   * @throws StrataException INVALID_ARGUMENT when the request does not fit the signature
   */
  RequestQueue.Offer submit(Pending p) {
    signature.validate(p);
    p.version = this;
    long timeoutNanos =
        p.request.timeout().isPresent() ? p.request.timeout().get().toNanos() : defaultTimeoutNanos;
    p.enqueueNanos = System.nanoTime();
    if (timeoutNanos > 0) {
      p.timer = timer.schedule(() -> expire(p, timeoutNanos), timeoutNanos, TimeUnit.NANOSECONDS);
    }
    RequestQueue.Offer offer = queue.offer(p);
    if (offer != RequestQueue.Offer.ACCEPTED) {
      p.cancelTimer();
      p.timer = null;
      p.version = null;
    }
    return offer;
  }

  /** Records a request this version turned away before queueing it. */
  void rejected(Pending p, ErrorCode code) {
    stats.failure(System.nanoTime() - p.startNanos);
    metrics.failure(code);
  }

  void cancelled(Pending p) {
    if (p.claim()) {
      boolean queued = queue.remove(p);
      p.cancelTimer();
      rejected(p, ErrorCode.CANCELLED);
      if (queued) {
        p.releaseInputs(); // else a worker holds it and releases it after its execution
      }
    }
  }

  private void expire(Pending p, long timeoutNanos) {
    if (p.claim()) {
      boolean queued = queue.remove(p);
      if (queued) {
        p.releaseInputs();
      }
      fail(
          p,
          new StrataException(
              ErrorCode.DEADLINE_EXCEEDED,
              String.format(
                  "request to model '%s' version %s timed out after %d us (%s)",
                  model,
                  label,
                  TimeUnit.NANOSECONDS.toMicros(timeoutNanos),
                  queued ? "still queued; it did not run" : "while running")));
    }
  }

  /** Fails a request that has been claimed. */
  private void fail(Pending p, StrataException e) {
    p.cancelTimer();
    rejected(p, e.code());
    p.completeExceptionally(e);
  }

  void failBatch(Batch b, StrataException e) {
    for (int k = 0; k < b.size; k++) {
      Pending p = b.items[k];
      if (p.claim()) {
        fail(p, e);
      }
    }
  }

  /**
   * Records a finished execution and completes its requests. Statistics are recorded before the
   * futures complete, so whoever sees a response also sees it counted.
   */
  void completeBatch(Batch b, InferenceResponse[] responses, long start, ModelInstance instance) {
    long end = System.nanoTime();
    int ok = 0;
    long totalNs = 0;
    long queueNs = 0;
    for (int k = 0; k < b.size; k++) {
      Pending p = b.items[k];
      if (p.claim()) {
        b.claimed[k] = true;
        long q = start - p.enqueueNanos;
        long d = end - p.startNanos;
        ok++;
        totalNs += d;
        queueNs += q;
        metrics.request.record(d, TimeUnit.NANOSECONDS);
        metrics.queue.record(q, TimeUnit.NANOSECONDS);
      }
    }
    stats.execution(
        b.rows, b.size, instance.inputNs, instance.inferNs, instance.outputNs, clock.millis());
    stats.success(ok, totalNs, queueNs);
    metrics.success.increment(ok);
    metrics.compute.record(end - start, TimeUnit.NANOSECONDS);
    metrics.batchSize.record(b.rows);
    for (int k = 0; k < b.size; k++) {
      if (b.claimed[k]) {
        Pending p = b.items[k];
        p.cancelTimer();
        p.complete(responses[k]);
      }
    }
  }

  /** Stops accepting; what is queued still runs. */
  void closeQueue() {
    queue.close();
  }

  /** Waits until every worker has drained the queue and left; true when all have. */
  boolean awaitWorkers(long deadlineNanos) {
    boolean all = true;
    for (ModelInstance i : instances) {
      try {
        all &= i.join(deadlineNanos);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return all;
  }

  /**
   * Fails whatever is still queued with UNAVAILABLE, asks running executions to stop, and waits a
   * little for the workers to leave.
   */
  void abort(String reason) {
    for (Pending p : queue.closeAndClear()) {
      p.releaseInputs();
      if (p.claim()) {
        fail(p, StrataException.unavailable("model '%s' version %s: %s", model, label, reason));
      }
    }
    for (ModelInstance i : instances) {
      i.terminate();
    }
    awaitWorkers(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
  }

  ModelStatistics statistics() {
    return stats.snapshot(model, label);
  }

  /**
   * Whether closing this version removes its meters: not when they pass to (or come from) another
   * version of the same number, as a reload does.
   */
  void ownsMetrics(boolean owns) {
    ownsMetrics = owns;
  }

  /** Closes every session (of instances whose worker has left) and removes the meters. */
  @Override
  public void close() {
    for (ModelInstance i : instances) {
      i.close();
    }
    if (ownsMetrics) {
      metrics.close();
    }
  }
}
