package dev.strata.api;

import static java.util.Objects.requireNonNull;

import dev.strata.control.DeploymentCounters;
import dev.strata.control.LoadedModel;
import java.util.Optional;

/**
 * One node of a deployment: the revision it should run next to what it reports.
 *
 * @param desired the revision the node should run; empty when it should run none yet
 * @param canary whether the node is in the canary
 * @param actual what the node last reported for this deployment
 * @param counters its request counters for this deployment
 * @param inSync whether it reports the desired revision loaded and ready
 */
public record NodeRollout(
    String nodeId,
    String nodeName,
    NodeState nodeState,
    Optional<Long> desired,
    boolean canary,
    Optional<LoadedModel> actual,
    Optional<DeploymentCounters> counters,
    boolean inSync) {
  public NodeRollout {
    requireNonNull(nodeId, "nodeId");
    requireNonNull(nodeName, "nodeName");
    requireNonNull(nodeState, "nodeState");
    requireNonNull(desired, "desired");
    requireNonNull(actual, "actual");
    requireNonNull(counters, "counters");
  }
}
