package dev.strata.edge;

import dev.strata.control.DeploymentCounters;
import dev.strata.control.LatencyHistogram;
import dev.strata.control.TelemetryRecord;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts what every deployment served: per interval (requests, errors, escalations, fallbacks and a
 * latency histogram), closed by {@link #flush} into the on-disk {@link TelemetryLog}; and
 * cumulatively since the node loaded the deployment's revision, for heartbeats.
 */
final class TelemetryCollector implements InferenceListener {
  private static final long[] BOUNDS =
      LatencyHistogram.DEFAULT_BOUNDS_MICROS.stream().mapToLong(Long::longValue).toArray();

  private final TelemetryLog log;
  private final Clock clock;
  private final ConcurrentHashMap<String, Interval> open = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Totals> totals = new ConcurrentHashMap<>();
  private volatile Instant intervalStart;

  TelemetryCollector(TelemetryLog log, Clock clock) {
    this.log = log;
    this.clock = clock;
    this.intervalStart = clock.instant();
  }

  TelemetryLog log() {
    return log;
  }

  @Override
  public void completed(EdgeDeployment d, InferenceOutcome outcome) {
    String key = d.deployment() + "#" + d.revision();
    while (true) {
      Interval iv = open.computeIfAbsent(key, k -> new Interval(d.deployment(), d.revision()));
      if (iv.add(outcome)) {
        break;
      }
      // closed by a flush between the lookup and the update: count it in the next interval
    }
    Totals t =
        totals.compute(
            d.deployment(),
            (k, before) ->
                before == null || before.revision != d.revision()
                    ? new Totals(d.revision())
                    : before);
    t.add(outcome);
  }

  /** Closes the interval: its records go to the log, numbered. */
  List<TelemetryRecord> flush() {
    Instant end = clock.instant();
    Instant start = intervalStart;
    intervalStart = end;
    List<TelemetryRecord> drafts = new ArrayList<>();
    for (String key : List.copyOf(open.keySet())) {
      Interval iv = open.remove(key);
      if (iv != null) {
        TelemetryRecord r = iv.close(start, end.isBefore(start) ? start : end);
        if (r.requests() > 0) {
          drafts.add(r);
        }
      }
    }
    return log.append(drafts);
  }

  /** Cumulative counters per deployment, for the heartbeat. */
  Map<String, DeploymentCounters> counters() {
    Map<String, DeploymentCounters> out = new HashMap<>();
    totals.forEach((deployment, t) -> out.put(deployment, t.snapshot()));
    return out;
  }

  /** Forgets the totals of deployments no longer served. */
  void retainOnly(Set<String> deployments) {
    totals.keySet().retainAll(deployments);
  }

  private static final class Interval {
    final String deployment;
    final long revision;
    final long[] buckets = new long[BOUNDS.length + 1];
    long requests;
    long errors;
    long escalations;
    long fallbacks;
    long sumMicros;
    long maxMicros;
    boolean closed;

    Interval(String deployment, long revision) {
      this.deployment = deployment;
      this.revision = revision;
    }

    synchronized boolean add(InferenceOutcome o) {
      if (closed) {
        return false;
      }
      requests++;
      errors += o.failed() ? 1 : 0;
      escalations += o.escalated() ? 1 : 0;
      fallbacks += o.fellBack() ? 1 : 0;
      long micros = Math.max(0, o.latencyNanos() / 1000);
      int i = Arrays.binarySearch(BOUNDS, micros);
      buckets[i >= 0 ? i : -i - 1]++;
      sumMicros += micros;
      maxMicros = Math.max(maxMicros, micros);
      return true;
    }

    synchronized TelemetryRecord close(Instant start, Instant end) {
      closed = true;
      List<Long> counts = Arrays.stream(buckets).boxed().toList();
      return new TelemetryRecord(
          1,
          deployment,
          revision,
          start,
          end,
          requests,
          errors,
          escalations,
          fallbacks,
          new LatencyHistogram(
              LatencyHistogram.DEFAULT_BOUNDS_MICROS, counts, sumMicros, maxMicros));
    }
  }

  private static final class Totals {
    final long revision;
    long requests;
    long errors;
    long escalations;

    Totals(long revision) {
      this.revision = revision;
    }

    synchronized void add(InferenceOutcome o) {
      requests++;
      errors += o.failed() ? 1 : 0;
      escalations += o.escalated() ? 1 : 0;
    }

    synchronized DeploymentCounters snapshot() {
      return new DeploymentCounters(revision, requests, errors, escalations);
    }
  }
}
