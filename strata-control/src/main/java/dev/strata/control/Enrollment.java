package dev.strata.control;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Map;

/**
 * What an enrolled node receives.
 *
 * @param nodeId its id
 * @param name its name
 * @param labels its labels
 * @param credential its node credential ({@code stn_<nodeId>.<secret>}); shown only now
 * @param manifestPublicKey the cloud's Ed25519 public key (base64 X.509) to verify manifests with
 * @param heartbeatInterval how often to send heartbeats
 */
public record Enrollment(
    String nodeId,
    String name,
    Map<String, String> labels,
    String credential,
    String manifestPublicKey,
    Duration heartbeatInterval) {
  public Enrollment {
    requireNonNull(nodeId, "nodeId");
    requireNonNull(name, "name");
    labels = Map.copyOf(labels);
    requireNonNull(credential, "credential");
    requireNonNull(manifestPublicKey, "manifestPublicKey");
    requireNonNull(heartbeatInterval, "heartbeatInterval");
  }

  @Override
  public String toString() {
    return "Enrollment[nodeId=" + nodeId + ", name=" + name + ", credential=***]";
  }
}
