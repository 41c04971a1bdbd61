package dev.strata.api;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * An enrollment token as listed: never its secret.
 *
 * @param nodeId the node that enrolled with it, once used
 * @param node the name of the node it was issued for; empty for a token any new node may use
 */
public record EnrollmentToken(
    String id,
    String description,
    Map<String, String> labels,
    Instant createdAt,
    Instant expiresAt,
    Optional<Instant> usedAt,
    Optional<String> nodeId,
    Optional<String> node) {
  public EnrollmentToken {
    requireNonNull(id, "id");
    requireNonNull(description, "description");
    labels = Map.copyOf(labels);
    requireNonNull(createdAt, "createdAt");
    requireNonNull(expiresAt, "expiresAt");
    requireNonNull(usedAt, "usedAt");
    requireNonNull(nodeId, "nodeId");
    requireNonNull(node, "node");
  }
}
