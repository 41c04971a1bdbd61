package dev.strata.serving;

import java.util.concurrent.atomic.AtomicInteger;

/** What all connections of one server share: the in-flight count and the draining flag. */
final class HttpServerState {
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean draining;

  void requestStarted() {
    inFlight.incrementAndGet();
  }

  void requestFinished() {
    inFlight.decrementAndGet();
  }

  int inFlight() {
    return inFlight.get();
  }

  boolean draining() {
    return draining;
  }

  void startDraining() {
    draining = true;
  }
}
