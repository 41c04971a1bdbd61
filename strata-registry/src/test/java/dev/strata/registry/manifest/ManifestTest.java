package dev.strata.registry.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.control.ArtifactManifest;
import dev.strata.control.Json;
import dev.strata.control.ManifestVerificationException;
import dev.strata.control.ManifestVerifier;
import dev.strata.control.Sha256;
import dev.strata.control.SignedManifest;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestTest {
  @TempDir Path dir;

  private static final byte[] MODEL = {1, 2, 3, 4, 5};

  private SignedManifest signed(ManifestSigner signer) {
    return signer.sign(
        "resnet",
        3,
        "int8",
        "onnx",
        Sha256.hex(MODEL),
        MODEL.length,
        Instant.parse("2026-01-01T00:00:00.123456Z"));
  }

  @Test
  void keyPairIsCreatedOnceOwnerOnlyAndReloaded() throws Exception {
    KeyPair first = SigningKeys.loadOrCreate(dir);
    Path priv = dir.resolve(SigningKeys.PRIVATE_FILE);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(priv)))
        .isEqualTo("rw-------");
    KeyPair again = SigningKeys.loadOrCreate(dir);
    assertThat(again.getPublic().getEncoded()).isEqualTo(first.getPublic().getEncoded());
    assertThat(again.getPrivate().getEncoded()).isEqualTo(first.getPrivate().getEncoded());
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder(SigningKeys.PRIVATE_FILE, SigningKeys.PUBLIC_FILE);
    }
  }

  @Test
  void edgeVerifiesManifestAndArtifactAfterAJsonRoundTrip() {
    var signer = new ManifestSigner(SigningKeys.loadOrCreate(dir));
    SignedManifest sent = signed(signer);
    // the edge receives JSON with its own formatting
    String json = Json.write(sent).replace(",", ", ");
    SignedManifest received = Json.read(json, SignedManifest.class);
    var verifier = ManifestVerifier.forPublicKey(signer.publicKeyBase64());
    ArtifactManifest m = verifier.verifyArtifact(received, new ByteArrayInputStream(MODEL));
    assertThat(m.model()).isEqualTo("resnet");
    assertThat(m.createdAt()).isEqualTo(Instant.parse("2026-01-01T00:00:00.123Z"));
  }

  @Test
  void tamperedManifestIsRefused() {
    var signer = new ManifestSigner(SigningKeys.loadOrCreate(dir));
    SignedManifest s = signed(signer);
    ArtifactManifest m = s.manifest();
    var tampered =
        new SignedManifest(
            new ArtifactManifest(
                m.schema(),
                m.model(),
                m.version(),
                m.variant(),
                m.format(),
                Sha256.hex(new byte[] {9}),
                m.size(),
                m.createdAt(),
                m.keyId()),
            s.signature());
    var verifier = new ManifestVerifier(signer.publicKey());
    assertThatThrownBy(() -> verifier.verify(tampered))
        .isInstanceOf(ManifestVerificationException.class)
        .hasMessageContaining("signature does not match its content");
    var badSignature = new SignedManifest(m, Base64.getEncoder().encodeToString(new byte[64]));
    assertThatThrownBy(() -> verifier.verify(badSignature))
        .isInstanceOf(ManifestVerificationException.class);
  }

  @Test
  void tamperedArtifactIsRefused() {
    var signer = new ManifestSigner(SigningKeys.loadOrCreate(dir));
    var verifier = new ManifestVerifier(signer.publicKey());
    SignedManifest s = signed(signer);
    assertThatThrownBy(
            () -> verifier.verifyArtifact(s, new ByteArrayInputStream(new byte[] {1, 2, 3, 4, 6})))
        .isInstanceOf(ManifestVerificationException.class)
        .hasMessageContaining("sha256")
        .hasMessageContaining("expected: " + Sha256.hex(MODEL));
    assertThatThrownBy(() -> verifier.verifyArtifact(s, new ByteArrayInputStream(new byte[] {1})))
        .hasMessageContaining("1 bytes (expected: 5 as signed)");
  }

  @Test
  void anotherCloudsKeyIsRefused() {
    var signer = new ManifestSigner(SigningKeys.loadOrCreate(dir.resolve("a")));
    var other = new ManifestSigner(SigningKeys.loadOrCreate(dir.resolve("b")));
    assertThatThrownBy(() -> new ManifestVerifier(other.publicKey()).verify(signed(signer)))
        .isInstanceOf(ManifestVerificationException.class)
        .hasMessageContaining("expected: " + other.keyId());
  }

  @Test
  void newerSchemaIsRefusedWithAClearMessage() {
    var signer = new ManifestSigner(SigningKeys.loadOrCreate(dir));
    ArtifactManifest m = signed(signer).manifest();
    var future =
        signer.sign(
            new ArtifactManifest(
                2,
                m.model(),
                m.version(),
                m.variant(),
                m.format(),
                m.sha256(),
                m.size(),
                m.createdAt(),
                m.keyId()));
    assertThatThrownBy(() -> new ManifestVerifier(signer.publicKey()).verify(future))
        .hasMessageContaining("schema 2 (expected: <= 1; upgrade this agent)");
  }
}
