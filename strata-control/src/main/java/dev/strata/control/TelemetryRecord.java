package dev.strata.control;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import java.time.Instant;

/**
 * The inference telemetry of one deployment over one interval, as an edge node aggregates it, keeps
 * it on disk while the cloud is out of reach, and reports it with its next heartbeats.
 *
 * <p>A node numbers its records with a sequence that grows by one per record: the cloud can ignore
 * a record it has seen already (a heartbeat whose answer was lost is sent again with the same
 * records) and can tell how many were lost (a node whose buffer filled while offline drops its
 * oldest records, leaving a gap).
 *
 * @param sequence the node's number for this record, from 1
 * @param deployment the deployment
 * @param revision the deployment revision that served
 * @param start the start of the interval
 * @param end the end of the interval
 * @param requests inference requests finished in the interval
 * @param errors requests that failed
 * @param escalations requests for which the cloud was asked (cascade, offload or cloud-only)
 * @param fallbacks escalations the cloud did not answer, answered by the edge instead
 * @param latency end-to-end latencies as the edge's clients saw them
 */
public record TelemetryRecord(
    long sequence,
    String deployment,
    long revision,
    Instant start,
    Instant end,
    long requests,
    long errors,
    long escalations,
    long fallbacks,
    LatencyHistogram latency) {
  public TelemetryRecord {
    requireNonNull(deployment, "deployment");
    requireNonNull(start, "start");
    requireNonNull(end, "end");
    requireNonNull(latency, "latency");
    if (sequence < 1) {
      throw StrataException.invalid("telemetry sequence: %d (expected: >= 1)", sequence);
    }
    if (end.isBefore(start)) {
      throw StrataException.invalid(
          "telemetry interval: %s to %s (expected: start <= end)", start, end);
    }
    if (requests < 0
        || errors < 0
        || escalations < 0
        || fallbacks < 0
        || errors > requests
        || escalations > requests
        || fallbacks > escalations) {
      throw StrataException.invalid(
          "telemetry of %s: requests=%d errors=%d escalations=%d fallbacks=%d (expected: >= 0,"
              + " errors and escalations <= requests, fallbacks <= escalations)",
          deployment, requests, errors, escalations, fallbacks);
    }
  }
}
