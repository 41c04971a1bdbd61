package dev.strata.api;

import static java.util.Objects.requireNonNull;

/**
 * {@code GET /api/v1/signing-key}: the key the cloud signs artifact manifests with, as edges pin
 * it.
 *
 * @param keyId the key's short id, as manifests name it
 * @param algorithm {@code Ed25519}
 * @param publicKey the public key, base64 of its X.509 encoding
 */
public record SigningKey(String keyId, String algorithm, String publicKey) {
  public SigningKey {
    requireNonNull(keyId, "keyId");
    requireNonNull(algorithm, "algorithm");
    requireNonNull(publicKey, "publicKey");
  }

  /** An Ed25519 key. */
  public static SigningKey ed25519(String keyId, String publicKey) {
    return new SigningKey(keyId, "Ed25519", publicKey);
  }
}
