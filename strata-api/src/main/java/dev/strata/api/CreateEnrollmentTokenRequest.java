package dev.strata.api;

import static java.util.Objects.requireNonNull;

import dev.strata.control.Lifetimes;
import dev.strata.control.Names;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * {@code POST /api/v1/enrollment-tokens}: a one-time token for one node to enroll with.
 *
 * @param description what it is for
 * @param labels labels the node gets on enrollment (they override labels the node reports)
 * @param ttl how long the token is valid; the fleet default when empty
 * @param node the name of the one node that may enroll with it; such a token also re-enrolls an
 *     existing node of that name (replacing its credential), which a token for no node in
 *     particular is refused (409), so that no spare token can take over an enrolled node
 */
public record CreateEnrollmentTokenRequest(
    String description, Map<String, String> labels, Optional<Duration> ttl, Optional<String> node) {
  public CreateEnrollmentTokenRequest {
    requireNonNull(description, "description");
    labels = Names.requireTags(labels, "label");
    ttl = Lifetimes.requireValid(ttl, "enrollment token ttl");
    node = node == null ? Optional.empty() : node;
    node.ifPresent(n -> Names.requireName(n, "enrollment token node"));
  }

  /** A token for any new node. */
  public CreateEnrollmentTokenRequest(
      String description, Map<String, String> labels, Optional<Duration> ttl) {
    this(description, labels, ttl, Optional.empty());
  }

  /** A token for the node named {@code node}: a new one, or a re-enrollment of that node. */
  public static CreateEnrollmentTokenRequest forNode(String node) {
    return new CreateEnrollmentTokenRequest("", Map.of(), Optional.empty(), Optional.of(node));
  }

  public static CreateEnrollmentTokenRequest withLabels(Map<String, String> labels) {
    return new CreateEnrollmentTokenRequest("", labels, Optional.empty());
  }
}
