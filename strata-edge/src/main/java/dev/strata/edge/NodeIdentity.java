package dev.strata.edge;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * Who this node is to the cloud, as enrollment made it: kept in {@code node.json} (mode 0600).
 *
 * @param nodeId the node id the cloud gave
 * @param name the node name
 * @param credential the node credential, sent as a bearer token
 * @param cloud the cloud it enrolled with
 * @param manifestPublicKey the pinned manifest-signing key (base64 X.509 Ed25519)
 * @param enrolledAt when
 */
record NodeIdentity(
    String nodeId,
    String name,
    String credential,
    String cloud,
    String manifestPublicKey,
    Instant enrolledAt) {
  NodeIdentity {
    requireNonNull(nodeId, "nodeId");
    requireNonNull(name, "name");
    requireNonNull(credential, "credential");
    requireNonNull(cloud, "cloud");
    requireNonNull(manifestPublicKey, "manifestPublicKey");
    requireNonNull(enrolledAt, "enrolledAt");
  }

  @Override
  public String toString() {
    return "NodeIdentity[nodeId=" + nodeId + ", name=" + name + ", credential=***]";
  }
}
