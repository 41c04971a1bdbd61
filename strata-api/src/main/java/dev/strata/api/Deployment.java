package dev.strata.api;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A named desired state: a model on the cloud or on the edge nodes a selector matches.
 *
 * @param name the deployment name, unique
 * @param model the model it deploys
 * @param target cloud or edge
 * @param selector which edge nodes
 * @param stable the revision non-canary nodes run; empty before a first canary is promoted
 * @param canary the revision rolling out to {@code canaryNodes}, if any
 * @param canaryNodes the node ids chosen for the canary
 * @param message the last rollout event, for people
 */
public record Deployment(
    String name,
    String model,
    Target target,
    Selector selector,
    Optional<Revision> stable,
    Optional<Revision> canary,
    List<String> canaryNodes,
    String message,
    Instant createdAt,
    Instant updatedAt) {
  public Deployment {
    requireNonNull(name, "name");
    requireNonNull(model, "model");
    requireNonNull(target, "target");
    requireNonNull(selector, "selector");
    requireNonNull(stable, "stable");
    requireNonNull(canary, "canary");
    canaryNodes = List.copyOf(canaryNodes);
    requireNonNull(message, "message");
    requireNonNull(createdAt, "createdAt");
    requireNonNull(updatedAt, "updatedAt");
  }

  /** The revision a node runs: the canary for canary nodes, else the stable one. */
  public Optional<Revision> revisionFor(String nodeId) {
    if (canary.isPresent() && canaryNodes.contains(nodeId)) {
      return canary;
    }
    return stable;
  }
}
