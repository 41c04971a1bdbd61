package dev.strata.api;

import static java.util.Objects.requireNonNull;

import dev.strata.control.LatencyHistogram;
import java.time.Instant;

/**
 * One interval record of one node as the registry keeps it (see {@link
 * dev.strata.control.TelemetryRecord} for the fields the node reported).
 *
 * @param nodeId the node that reported it
 * @param sequence the node's number for it (restarting from 1 when the node is enrolled anew)
 * @param receivedAt when the cloud received it (records sent late, after an outage, show it)
 */
public record StoredTelemetry(
    String nodeId,
    long sequence,
    String deployment,
    long revision,
    Instant start,
    Instant end,
    long requests,
    long errors,
    long escalations,
    long fallbacks,
    LatencyHistogram latency,
    Instant receivedAt) {
  public StoredTelemetry {
    requireNonNull(nodeId, "nodeId");
    requireNonNull(deployment, "deployment");
    requireNonNull(start, "start");
    requireNonNull(end, "end");
    requireNonNull(latency, "latency");
    requireNonNull(receivedAt, "receivedAt");
  }
}
