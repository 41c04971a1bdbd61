package dev.strata.api;

import static java.util.Objects.requireNonNull;

import dev.strata.control.Sha256;
import dev.strata.core.StrataException;
import java.time.Instant;

/**
 * One stored artifact: its content digest, size and when it was stored.
 *
 * @param sha256 the SHA-256 of the content, 64 lowercase hex characters
 * @param size the size in bytes
 * @param storedAt when the content was stored (for garbage collection's grace period)
 */
public record Artifact(String sha256, long size, Instant storedAt) {
  public Artifact {
    Sha256.requireValid(sha256, "sha256");
    requireNonNull(storedAt, "storedAt");
    if (size < 0) {
      throw StrataException.invalid("size: %d (expected: >= 0)", size);
    }
  }
}
