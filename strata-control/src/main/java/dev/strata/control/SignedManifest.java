package dev.strata.control;

import static java.util.Objects.requireNonNull;

/**
 * A manifest with the cloud's Ed25519 signature over its {@linkplain ManifestCodec#canonical
 * canonical bytes}.
 *
 * @param manifest the attested facts
 * @param signature the signature, base64
 */
public record SignedManifest(ArtifactManifest manifest, String signature) {
  public SignedManifest {
    requireNonNull(manifest, "manifest");
    requireNonNull(signature, "signature");
  }
}
