package dev.strata.control;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.strata.core.StrataException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * What the cloud attests about one model artifact: which model, version and variant it is, and the
 * digest and size its bytes must have. Signed by the cloud (see {@link ManifestSigner}); an edge
 * checks the signature and then the artifact against it before loading (see {@link
 * ManifestVerifier}).
 *
 * @param schema the manifest format version; verifiers refuse versions newer than they know
 * @param model the model name
 * @param version the model version
 * @param variant the variant name (e.g. {@code fp32}, {@code int8})
 * @param format the artifact format (e.g. {@code onnx})
 * @param sha256 the SHA-256 of the artifact, lowercase hex
 * @param size the artifact's size in bytes
 * @param createdAt when the manifest was made, to the millisecond
 * @param keyId the id of the signing key (see {@link ManifestSigner#keyId})
 */
@JsonPropertyOrder(alphabetic = true)
public record ArtifactManifest(
    int schema,
    String model,
    long version,
    String variant,
    String format,
    String sha256,
    long size,
    Instant createdAt,
    String keyId) {
  /** The manifest format this code writes and the newest it reads. */
  public static final int CURRENT_SCHEMA = 1;

  public ArtifactManifest {
    requireNonNull(model, "model");
    requireNonNull(variant, "variant");
    requireNonNull(format, "format");
    Sha256.requireValid(sha256, "manifest sha256");
    requireNonNull(createdAt, "createdAt");
    requireNonNull(keyId, "keyId");
    createdAt = createdAt.truncatedTo(ChronoUnit.MILLIS);
    if (schema < 1) {
      throw StrataException.invalid("manifest schema: %d (expected: >= 1)", schema);
    }
    if (size < 0) {
      throw StrataException.invalid("manifest size: %d (expected: >= 0)", size);
    }
  }
}
