package dev.strata.control;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;

/**
 * The edge's check of what the cloud sent: the manifest's signature against the cloud's public key,
 * then the artifact's size and SHA-256 against the manifest. Any mismatch throws {@link
 * ManifestVerificationException} with what differed. Uses only the JDK and Jackson, so it can run
 * wherever the edge agent runs.
 */
public final class ManifestVerifier {
  private final PublicKey cloudKey;
  private final String keyId;

  public ManifestVerifier(PublicKey cloudKey) {
    this.cloudKey = requireNonNull(cloudKey, "cloudKey");
    this.keyId = PublicKeys.keyId(cloudKey);
  }

  /** A verifier for a key given as base64 X.509 (see {@link PublicKeys#encode}). */
  public static ManifestVerifier forPublicKey(String base64) {
    return new ManifestVerifier(PublicKeys.decode(base64));
  }

  /** Checks the signature; returns the manifest it covers. */
  public ArtifactManifest verify(SignedManifest signed) {
    requireNonNull(signed, "signed");
    ArtifactManifest m = signed.manifest();
    String what = m.model() + " version " + m.version() + " variant " + m.variant();
    if (m.schema() > ArtifactManifest.CURRENT_SCHEMA) {
      throw new ManifestVerificationException(
          String.format(
              "manifest of %s: schema %d (expected: <= %d; upgrade this agent)",
              what, m.schema(), ArtifactManifest.CURRENT_SCHEMA));
    }
    if (!m.keyId().equals(keyId)) {
      throw new ManifestVerificationException(
          String.format(
              "manifest of %s: signed with key %s (expected: %s, the configured cloud key)",
              what, m.keyId(), keyId));
    }
    byte[] sig;
    try {
      sig = Base64.getDecoder().decode(signed.signature());
    } catch (IllegalArgumentException e) {
      throw new ManifestVerificationException("manifest of " + what + ": signature is not base64");
    }
    boolean ok;
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initVerify(cloudKey);
      s.update(ManifestCodec.canonical(m));
      ok = s.verify(sig);
    } catch (GeneralSecurityException e) {
      throw new ManifestVerificationException("manifest of " + what + ": bad signature", e);
    }
    if (!ok) {
      throw new ManifestVerificationException(
          "manifest of " + what + ": signature does not match its content (tampered or corrupt)");
    }
    return m;
  }

  /** Checks the signature, then that {@code content} has the manifest's size and digest. */
  public ArtifactManifest verifyArtifact(SignedManifest signed, InputStream content) {
    ArtifactManifest m = verify(signed);
    MessageDigest digest = Sha256.newDigest();
    long size = 0;
    try {
      byte[] buf = new byte[64 * 1024];
      int n;
      while ((n = content.read(buf)) != -1) {
        digest.update(buf, 0, n);
        size += n;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read artifact of " + m.model(), e);
    }
    String what = m.model() + " version " + m.version() + " variant " + m.variant();
    if (size != m.size()) {
      throw new ManifestVerificationException(
          String.format("artifact of %s: %d bytes (expected: %d as signed)", what, size, m.size()));
    }
    String sha256 = Sha256.hex(digest);
    if (!sha256.equals(m.sha256())) {
      throw new ManifestVerificationException(
          String.format(
              "artifact of %s: sha256 %s (expected: %s as signed)", what, sha256, m.sha256()));
    }
    return m;
  }

  /** {@link #verifyArtifact(SignedManifest, InputStream)} for a downloaded file. */
  public ArtifactManifest verifyFile(SignedManifest signed, Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return verifyArtifact(signed, in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
