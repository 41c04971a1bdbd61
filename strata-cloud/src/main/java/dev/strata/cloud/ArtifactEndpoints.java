package dev.strata.cloud;

import dev.strata.api.Artifact;
import dev.strata.control.Sha256;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.registry.Registry;
import dev.strata.registry.artifact.ArtifactContent;
import dev.strata.registry.auth.NodePrincipal;
import dev.strata.registry.model.ModelRegistry;
import dev.strata.serving.HttpErrors;
import dev.strata.serving.HttpResult;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code /api/v1/artifacts}: streamed, size-limited, digest-verified uploads; whole or ranged
 * downloads streamed from the store; garbage collection.
 */
final class ArtifactEndpoints {
  static final String DIGEST_HEADER = "X-Strata-Sha256";

  private final Registry registry;

  ArtifactEndpoints(Registry registry) {
    this.registry = registry;
  }

  List<Endpoint> endpoints() {
    return List.of(
        new Endpoint(
            "POST",
            "/api/v1/artifacts",
            Access.DEPLOYER,
            true,
            "Upload an artifact (streamed, content-addressed by SHA-256)",
            this::upload),
        new Endpoint(
            "POST",
            "/api/v1/artifacts:gc",
            Access.ADMIN,
            false,
            "Delete artifacts no variant refers to",
            r -> Responses.ok(collectGarbage())),
        new Endpoint(
            "HEAD",
            "/api/v1/artifacts/{sha256}",
            new Access.UserOrNode(dev.strata.api.Role.VIEWER),
            false,
            "An artifact's size and digest",
            this::head),
        new Endpoint(
            "GET",
            "/api/v1/artifacts/{sha256}",
            new Access.UserOrNode(dev.strata.api.Role.VIEWER),
            false,
            "Download an artifact, whole or a byte range (Range: bytes=N-)",
            this::download));
  }

  private HttpResult upload(ApiRequest r) {
    Optional<String> announced = announcedDigest(r);
    ModelRegistry models = registry.models();
    if (announced.isPresent()) {
      Optional<Artifact> stored = stat(announced.get());
      if (stored.isPresent()) {
        // Content-addressed: the bytes are known already, so the body need not be read at all.
        return artifactResult(200, stored.get());
      }
    }
    Artifact a = models.uploadArtifact(r.body(), announced);
    return artifactResult(201, a);
  }

  private static HttpResult artifactResult(int status, Artifact a) {
    return new HttpResult(
        status,
        HttpResult.JSON,
        Map.of("Location", "/api/v1/artifacts/" + a.sha256()),
        List.of(ByteBuffer.wrap(dev.strata.control.Json.writeBytes(a))));
  }

  /** {@code X-Strata-Sha256: <hex>} or {@code Digest: sha-256=<base64>}; both must agree. */
  static Optional<String> announcedDigest(ApiRequest r) {
    Optional<String> hex =
        r.header(DIGEST_HEADER)
            .map(
                h ->
                    Sha256.requireValid(
                        h.trim().toLowerCase(java.util.Locale.ROOT), DIGEST_HEADER));
    Optional<String> digest = r.header("Digest").flatMap(ArtifactEndpoints::fromDigestHeader);
    if (hex.isPresent() && digest.isPresent() && !hex.get().equals(digest.get())) {
      throw StrataException.invalid(
          "%s: %s and Digest: sha-256 %s disagree (expected: the same digest)",
          DIGEST_HEADER, hex.get(), digest.get());
    }
    return hex.isPresent() ? hex : digest;
  }

  private static Optional<String> fromDigestHeader(String header) {
    for (String part : header.split(",")) {
      String p = part.trim();
      int eq = p.indexOf('=');
      if (eq > 0 && p.substring(0, eq).trim().equalsIgnoreCase("sha-256")) {
        try {
          byte[] raw = Base64.getDecoder().decode(p.substring(eq + 1).trim());
          if (raw.length == 32) {
            return Optional.of(HexFormat.of().formatHex(raw));
          }
        } catch (IllegalArgumentException ignored) {
          // reported below
        }
        throw StrataException.invalid(
            "Digest: %s (expected: sha-256=<base64 of the 32-byte digest>)", p);
      }
    }
    return Optional.empty();
  }

  private Optional<Artifact> stat(String sha256) {
    try {
      return Optional.of(registry.models().artifact(sha256));
    } catch (StrataException e) {
      if (e.code() == ErrorCode.NOT_FOUND) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** Nodes may read only what their desired state names; this checks it (and existence). */
  private void checkReadable(ApiRequest r, String sha256) throws Exception {
    if (r.principal() instanceof NodePrincipal node) {
      // Opened only to ask: the answer is whether it throws.
      registry.nodes().artifact(node, sha256, 0, 0).close();
    }
  }

  private HttpResult head(ApiRequest r) throws Exception {
    String sha256 = Sha256.requireValid(r.param("sha256"), "sha256");
    checkReadable(r, sha256);
    Artifact a = registry.models().artifact(sha256);
    return new HttpResult(
        200,
        HttpResult.OCTET_STREAM,
        Map.of(
            "Content-Length",
            Long.toString(a.size()),
            "ETag",
            "\"" + a.sha256() + "\"",
            "Accept-Ranges",
            "bytes"),
        List.of());
  }

  private HttpResult download(ApiRequest r) throws Exception {
    String sha256 = Sha256.requireValid(r.param("sha256"), "sha256");
    checkReadable(r, sha256);
    Artifact a = registry.models().artifact(sha256);
    Map<String, String> headers =
        Map.of("ETag", "\"" + a.sha256() + "\"", "Accept-Ranges", "bytes");
    return switch (ByteRange.parse(r.header("Range"), a.size())) {
      case ByteRange.Whole w -> {
        ArtifactContent c = registry.models().openArtifact(sha256, 0, a.size());
        yield HttpResult.stream(200, HttpResult.OCTET_STREAM, headers, c.length(), c.stream());
      }
      case ByteRange.Part p -> {
        ArtifactContent c =
            registry.models().openArtifact(sha256, p.range().offset(), p.range().length());
        java.util.HashMap<String, String> h = new java.util.HashMap<>(headers);
        h.put("Content-Range", p.range().contentRange(a.size()));
        yield HttpResult.stream(206, HttpResult.OCTET_STREAM, h, c.length(), c.stream());
      }
      case ByteRange.Unsatisfiable u -> {
        HttpResult error =
            HttpErrors.of(
                ErrorCode.INVALID_ARGUMENT,
                String.format(
                    "Range: %s (expected: a range within the %d bytes of artifact %s)",
                    r.header("Range").orElse(""), a.size(), sha256));
        yield new HttpResult(
            416, error.contentType(), Map.of("Content-Range", "bytes */" + a.size()), error.body());
      }
    };
  }

  private Map<String, Object> collectGarbage() {
    ModelRegistry.GarbageCollection gc =
        registry.models().collectGarbage(registry.config().artifactGcMinAge());
    int samples = registry.samples().collectGarbage(registry.config().artifactGcMinAge());
    return Map.of(
        "deleted", gc.deleted(), "bytesFreed", gc.bytesFreed(), "sampleInputsDeleted", samples);
  }
}
