package dev.strata.api;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A deployment with each matching node's desired and actual state ({@code GET
 * /api/v1/deployments/{name}/status}).
 *
 * @param nodes the matching nodes, by name
 * @param inSync nodes running the desired revision
 * @param failed nodes reporting it failed to load
 * @param pending the rest (downloading, loading, not reporting)
 */
public record DeploymentStatus(
    Deployment deployment, List<NodeRollout> nodes, int inSync, int failed, int pending) {
  public DeploymentStatus {
    requireNonNull(deployment, "deployment");
    nodes = List.copyOf(nodes);
  }
}
