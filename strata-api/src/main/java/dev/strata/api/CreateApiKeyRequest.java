package dev.strata.api;

import static java.util.Objects.requireNonNull;

import dev.strata.control.Lifetimes;
import dev.strata.core.StrataException;
import java.time.Duration;
import java.util.Optional;

/** {@code POST /api/v1/api-keys}: a new key with a role and an optional lifetime. */
public record CreateApiKeyRequest(String name, Role role, Optional<Duration> ttl) {
  public CreateApiKeyRequest {
    requireNonNull(name, "name");
    requireNonNull(role, "role");
    if (name.isBlank() || name.length() > 128) {
      throw StrataException.invalid("api key name: '%s' (expected: 1-128 characters)", name);
    }
    ttl = Lifetimes.requireValid(ttl, "api key ttl");
  }
}
