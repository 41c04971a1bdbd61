package dev.strata.edge;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * A circuit breaker in front of the cloud, so that an edge whose cloud is down answers at once
 * instead of waiting for every escalation to time out. After {@code failuresToOpen} failures in a
 * row the circuit opens: calls are refused for {@code openFor}; then one probe call goes through
 * (half open); its success closes the circuit, its failure opens it again for twice as long, up to
 * {@code maxOpen}.
 */
final class CloudCircuit {
  private final int failuresToOpen;
  private final long initialOpenNanos;
  private final long maxOpenNanos;
  private final LongSupplier nanoTime;

  private int failures;
  private boolean open;
  private boolean probing;
  private long openNanos;
  private long retryAt;

  CloudCircuit(int failuresToOpen, Duration openFor, Duration maxOpen, LongSupplier nanoTime) {
    this.failuresToOpen = failuresToOpen;
    this.initialOpenNanos = openFor.toNanos();
    this.maxOpenNanos = maxOpen.toNanos();
    this.nanoTime = nanoTime;
    this.openNanos = initialOpenNanos;
  }

  static CloudCircuit standard() {
    return new CloudCircuit(3, Duration.ofSeconds(1), Duration.ofSeconds(30), System::nanoTime);
  }

  /** Whether a call may go to the cloud now; a true answer must be followed by a report. */
  synchronized boolean allow() {
    if (!open) {
      return true;
    }
    if (probing || nanoTime.getAsLong() - retryAt < 0) {
      return false;
    }
    probing = true;
    return true;
  }

  synchronized void succeeded() {
    failures = 0;
    open = false;
    probing = false;
    openNanos = initialOpenNanos;
  }

  synchronized void failed() {
    if (open) {
      if (probing) {
        probing = false;
        openNanos = Math.min(maxOpenNanos, openNanos * 2);
        retryAt = nanoTime.getAsLong() + openNanos;
      }
      return;
    }
    if (++failures >= failuresToOpen) {
      open = true;
      retryAt = nanoTime.getAsLong() + openNanos;
    }
  }

  synchronized boolean isOpen() {
    return open;
  }
}
