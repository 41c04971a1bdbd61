package dev.strata.api;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * One node's share of a deployment's telemetry.
 *
 * @param nodeName the node's name; empty for a node removed since
 */
public record NodeTelemetry(String nodeId, Optional<String> nodeName, TelemetrySummary summary) {
  public NodeTelemetry {
    requireNonNull(nodeId, "nodeId");
    requireNonNull(nodeName, "nodeName");
    requireNonNull(summary, "summary");
  }
}
