package dev.strata.runtime;

import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.Tensor;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A request on its way through a version's scheduler, and the future its caller holds: one object
 * per request, linked into the queue without a node of its own. Cancelling it takes it out of the
 * queue at once, so it never runs.
 *
 * <p>Several parties may end a request: the worker (success or failure), the timeout timer, the
 * caller's cancel, a shutdown. Whoever {@linkplain #claim() claims} it first records it in the
 * statistics and metrics, so each request counts exactly once.
 *
 * <p>Its inputs may be views of the caller's memory ({@link
 * InferenceService#infer(InferenceRequest, Runnable)}): {@link #releaseInputs()} hands them back
 * once, called by whoever last reads them: the runtime when it does not queue the request, whoever
 * takes it out of the queue without running it, or the worker when the execution that read it ends.
 */
final class Pending extends CompletableFuture<InferenceResponse> {
  private static final Logger LOG = LoggerFactory.getLogger(Pending.class);
  private static final VarHandle CLAIMED;
  private static final VarHandle RELEASED;

  /** The release of a request whose inputs the caller does not reuse. */
  static final Runnable NOTHING_TO_RELEASE = () -> {};

  static {
    try {
      CLAIMED = MethodHandles.lookup().findVarHandle(Pending.class, "claimed", boolean.class);
      RELEASED = MethodHandles.lookup().findVarHandle(Pending.class, "released", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @SuppressWarnings("unused") // through CLAIMED
  private volatile boolean claimed;

  @SuppressWarnings("unused") // through RELEASED
  private volatile boolean released;

  private final Runnable release;

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
    this(request, startNanos, NOTHING_TO_RELEASE);
  }

  Pending(InferenceRequest request, long startNanos, Runnable release) {
    this.request = request;
    this.startNanos = startNanos;
    this.release = release;
  }

  /** Hands the inputs back to the caller; only the first call does anything. */
  void releaseInputs() {
    if (RELEASED.compareAndSet(this, false, true)) {
      try {
        release.run();
      } catch (RuntimeException e) {
        LOG.error("releasing the inputs of a request failed", e);
      }
    }
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
