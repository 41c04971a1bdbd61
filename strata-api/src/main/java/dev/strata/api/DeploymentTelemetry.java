package dev.strata.api;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A deployment's telemetry over a window: in total and per node (ordered by node id).
 *
 * @param from the window's start (inclusive)
 * @param to the window's end (exclusive); empty when open
 */
public record DeploymentTelemetry(
    String deployment,
    Instant from,
    Optional<Instant> to,
    TelemetrySummary total,
    List<NodeTelemetry> nodes) {
  public DeploymentTelemetry {
    requireNonNull(deployment, "deployment");
    requireNonNull(from, "from");
    requireNonNull(to, "to");
    requireNonNull(total, "total");
    nodes = List.copyOf(nodes);
  }
}
