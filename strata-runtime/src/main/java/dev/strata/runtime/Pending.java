package dev.strata.runtime;

import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.Tensor;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/**
 * A request on its way through a version's scheduler, and the future its caller holds: one object
 * per request, linked into the queue without a node of its own. Cancelling it takes it out of the
 * queue at once, so it never runs.
 *
 * <p>Several parties may end a request: the worker (success or failure), the timeout timer, the
 * caller's cancel, a shutdown. Whoever {@linkplain #claim() claims} it first records it in the
 * statistics and metrics, so each request counts exactly once.
 */
final class Pending extends CompletableFuture<InferenceResponse> {
  private static final VarHandle CLAIMED;

  static {
    try {
      CLAIMED = MethodHandles.lookup().findVarHandle(Pending.class, "claimed", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @SuppressWarnings("unused") // through CLAIMED
  private volatile boolean claimed;

  final InferenceRequest request;

  /** When {@link InferenceService#infer} was called. */
  final long startNanos;

  // Filled by validation against the version it is queued on.
  Tensor[] inputs;
  int rows;
  int[] outputs;
  int[] classification;

  // Set before the request is offered to the queue; read by the worker that takes it.
  ModelVersion version;
  long enqueueNanos;
  ScheduledFuture<?> timer;

  // The queue's links, guarded by the queue's lock.
  Pending prev;
  Pending next;
  boolean queued;

  Pending(InferenceRequest request, long startNanos) {
    this.request = request;
    this.startNanos = startNanos;
  }

  @Override
  public boolean cancel(boolean mayInterruptIfRunning) {
    boolean cancelled = super.cancel(mayInterruptIfRunning);
    if (cancelled && version != null) {
      version.cancelled(this);
    }
    return cancelled;
  }

  /** True for the one caller that gets to end this request. */
  boolean claim() {
    return CLAIMED.compareAndSet(this, false, true);
  }

  void cancelTimer() {
    ScheduledFuture<?> t = timer;
    if (t != null) {
      t.cancel(false);
    }
  }
}
