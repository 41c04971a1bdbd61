package dev.strata.api;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;

/** A management API key as listed: never its secret. */
public record ApiKey(
    String id,
    String name,
    Role role,
    Instant createdAt,
    Optional<Instant> expiresAt,
    Optional<Instant> revokedAt) {
  public ApiKey {
    requireNonNull(id, "id");
    requireNonNull(name, "name");
    requireNonNull(role, "role");
    requireNonNull(createdAt, "createdAt");
    requireNonNull(expiresAt, "expiresAt");
    requireNonNull(revokedAt, "revokedAt");
  }

  public boolean isUsableAt(Instant now) {
    return revokedAt.isEmpty() && expiresAt.map(now::isBefore).orElse(true);
  }
}
