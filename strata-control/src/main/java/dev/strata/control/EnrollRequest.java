package dev.strata.control;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * {@code POST /api/v1/nodes/enroll}: a node presents a one-time token.
 *
 * @param token the enrollment token
 * @param name the node's name (e.g. host name); enrolling again under a taken name replaces that
 *     node's credential, so a node that lost its credential can rejoin with a new token
 * @param labels labels the node reports about itself (the token's labels win on conflict)
 */
public record EnrollRequest(String token, String name, Map<String, String> labels) {
  public EnrollRequest {
    requireNonNull(token, "token");
    Names.requireName(name, "node name");
    labels = Names.requireTags(labels, "label");
  }

  @Override
  public String toString() {
    return "EnrollRequest[token=***, name=" + name + ", labels=" + labels + "]";
  }
}
