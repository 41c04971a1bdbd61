package dev.strata.bench.fleet;

import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Latencies of one control-plane operation, recorded from the moment a request was due (not when it
 * was sent, so that a late sender cannot hide server delay: no coordinated omission).
 */
final class OpStats {
  private final String name;
  private final Recorder recorder = new Recorder(3);
  private final AtomicLong errors = new AtomicLong();
  private final AtomicLong lateSends = new AtomicLong();
  private volatile String lastError = "";

  OpStats(String name) {
    this.name = name;
  }

  String name() {
    return name;
  }

  void record(long dueNanos, long doneNanos) {
    recorder.recordValue(Math.max(0, (doneNanos - dueNanos) / 1000));
  }

  void error(String what) {
    errors.incrementAndGet();
    lastError = what;
  }

  /** A request left the simulator more than 10 ms after it was due (the simulator fell behind). */
  void late() {
    lateSends.incrementAndGet();
  }

  /** The latencies since the last call (microseconds), resetting them. */
  Histogram interval() {
    return recorder.getIntervalHistogram();
  }

  long errors() {
    return errors.get();
  }

  long lateSends() {
    return lateSends.get();
  }

  String lastError() {
    return lastError;
  }

  void resetCounters() {
    errors.set(0);
    lateSends.set(0);
  }
}
