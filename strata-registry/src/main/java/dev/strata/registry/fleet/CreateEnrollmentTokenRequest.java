package dev.strata.registry.fleet;

import static java.util.Objects.requireNonNull;

import dev.strata.control.Names;
import dev.strata.core.StrataException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * {@code POST /api/v1/enrollment-tokens}: a one-time token for one node to enroll with.
 *
 * @param description what it is for
 * @param labels labels the node gets on enrollment (they override labels the node reports)
 * @param ttl how long the token is valid; the fleet default when empty
 */
public record CreateEnrollmentTokenRequest(
    String description, Map<String, String> labels, Optional<Duration> ttl) {
  public CreateEnrollmentTokenRequest {
    requireNonNull(description, "description");
    labels = Names.requireTags(labels, "label");
    requireNonNull(ttl, "ttl");
    ttl.ifPresent(
        t -> {
          if (t.isZero() || t.isNegative()) {
            throw StrataException.invalid("enrollment token ttl: %s (expected: > 0)", t);
          }
        });
  }

  public static CreateEnrollmentTokenRequest withLabels(Map<String, String> labels) {
    return new CreateEnrollmentTokenRequest("", labels, Optional.empty());
  }
}
