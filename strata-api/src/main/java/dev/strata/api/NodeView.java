package dev.strata.api;

import static java.util.Objects.requireNonNull;

import dev.strata.control.DesiredState;

/**
 * A node's actual state (its last heartbeat, inside {@code node}) next to its desired state ({@code
 * GET /api/v1/nodes/{id}}).
 */
public record NodeView(Node node, DesiredState desired) {
  public NodeView {
    requireNonNull(node, "node");
    requireNonNull(desired, "desired");
  }
}
