package dev.strata.api;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One daemon thread that checks on streamed downloads, started by the first download and stopped
 * when the client closes.
 */
final class Watchdog implements AutoCloseable {
  private ScheduledExecutorService thread; // guarded by this
  private boolean closed; // guarded by this

  /** Runs {@code check} every {@code periodNanos} until the returned future is cancelled. */
  synchronized ScheduledFuture<?> every(long periodNanos, Runnable check) {
    if (closed) {
      throw new IllegalStateException("the cloud client is closed");
    }
    if (thread == null) {
      thread =
          Executors.newSingleThreadScheduledExecutor(
              r -> Thread.ofPlatform().name("strata-download-watchdog").daemon(true).unstarted(r));
    }
    return thread.scheduleAtFixedRate(check, periodNanos, periodNanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (thread != null) {
      thread.shutdownNow();
    }
  }
}
