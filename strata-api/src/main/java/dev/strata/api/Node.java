package dev.strata.api;

import static java.util.Objects.requireNonNull;

import dev.strata.control.Heartbeat;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * An enrolled edge node as the cloud sees it.
 *
 * @param id the node id (in its credential)
 * @param name the node's name, unique (e.g. its host name)
 * @param labels its labels, matched by deployment selectors
 * @param enrolledAt when it (last) enrolled
 * @param state liveness by heartbeat age
 * @param lastHeartbeatAt when the cloud last heard from it
 * @param lastHeartbeat what it last reported: its actual state
 */
public record Node(
    String id,
    String name,
    Map<String, String> labels,
    Instant enrolledAt,
    NodeState state,
    Optional<Instant> lastHeartbeatAt,
    Optional<Heartbeat> lastHeartbeat) {
  public Node {
    requireNonNull(id, "id");
    requireNonNull(name, "name");
    labels = Map.copyOf(labels);
    requireNonNull(enrolledAt, "enrolledAt");
    requireNonNull(state, "state");
    requireNonNull(lastHeartbeatAt, "lastHeartbeatAt");
    requireNonNull(lastHeartbeat, "lastHeartbeat");
  }
}
