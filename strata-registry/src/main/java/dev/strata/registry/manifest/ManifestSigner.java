package dev.strata.registry.manifest;

import static java.util.Objects.requireNonNull;

import dev.strata.control.ArtifactManifest;
import dev.strata.control.ManifestCodec;
import dev.strata.control.PublicKeys;
import dev.strata.control.SignedManifest;
import dev.strata.core.StrataException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;

/** Signs artifact manifests with the cloud's Ed25519 key. Thread-safe. */
public final class ManifestSigner {
  private final KeyPair keys;
  private final String keyId;

  public ManifestSigner(KeyPair keys) {
    this.keys = requireNonNull(keys, "keys");
    this.keyId = PublicKeys.keyId(keys.getPublic());
  }

  public PublicKey publicKey() {
    return keys.getPublic();
  }

  /** The base64 X.509 public key that edges verify with. */
  public String publicKeyBase64() {
    return PublicKeys.encode(keys.getPublic());
  }

  public String keyId() {
    return keyId;
  }

  /** Makes and signs the manifest of one stored variant. */
  public SignedManifest sign(
      String model,
      long version,
      String variant,
      String format,
      String sha256,
      long size,
      Instant createdAt) {
    return sign(
        new ArtifactManifest(
            ArtifactManifest.CURRENT_SCHEMA,
            model,
            version,
            variant,
            format,
            sha256,
            size,
            createdAt,
            keyId));
  }

  public SignedManifest sign(ArtifactManifest manifest) {
    requireNonNull(manifest, "manifest");
    if (!manifest.keyId().equals(keyId)) {
      throw StrataException.invalid(
          "manifest keyId: %s (expected: %s, this signer's key)", manifest.keyId(), keyId);
    }
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(keys.getPrivate());
      s.update(ManifestCodec.canonical(manifest));
      return new SignedManifest(manifest, Base64.getEncoder().encodeToString(s.sign()));
    } catch (GeneralSecurityException e) {
      throw StrataException.internal("cannot sign manifest", e);
    }
  }
}
