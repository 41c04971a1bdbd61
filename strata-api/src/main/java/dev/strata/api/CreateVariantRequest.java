package dev.strata.api;

import static java.util.Objects.requireNonNull;

import dev.strata.control.ModelFormats;
import dev.strata.control.Names;
import dev.strata.control.Sha256;
import dev.strata.core.StrataException;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /api/v1/models/{model}/versions/{version}/variants}: adds a variant whose artifact
 * was uploaded before (by digest, see {@code POST /api/v1/artifacts}).
 */
public record CreateVariantRequest(
    String name,
    String format,
    String sha256,
    ModelSignature signature,
    List<String> labels,
    Map<String, Double> metrics,
    Map<String, String> provenance,
    Map<String, String> tags) {
  public CreateVariantRequest {
    Names.requireName(name, "variant name");
    ModelFormats.requireSupported(format, "format");
    Sha256.requireValid(sha256, "sha256");
    requireNonNull(signature, "signature");
    labels = List.copyOf(labels);
    metrics = Map.copyOf(metrics);
    for (var e : metrics.entrySet()) {
      if (!Double.isFinite(e.getValue())) {
        throw StrataException.invalid("metric %s: %s (expected: finite)", e.getKey(), e.getValue());
      }
    }
    provenance = Names.requireTags(provenance, "provenance");
    tags = Names.requireTags(tags, "tag");
  }

  /** An ONNX variant with no metadata but its artifact. */
  public static CreateVariantRequest onnx(String name, String sha256) {
    return new CreateVariantRequest(
        name,
        ModelFormats.ONNX,
        sha256,
        ModelSignature.UNKNOWN,
        List.of(),
        Map.of(),
        Map.of(),
        Map.of());
  }
}
