package dev.strata.registry.model;

import static java.util.Objects.requireNonNull;

import dev.strata.control.Names;
import dev.strata.control.Sha256;
import dev.strata.core.StrataException;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

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
  private static final Pattern FORMAT = Pattern.compile("[a-z0-9][a-z0-9._-]{0,31}");

  public CreateVariantRequest {
    Names.requireName(name, "variant name");
    requireNonNull(format, "format");
    if (!FORMAT.matcher(format).matches()) {
      throw StrataException.invalid("format: %s (expected: e.g. onnx)", format);
    }
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
        name, "onnx", sha256, ModelSignature.UNKNOWN, List.of(), Map.of(), Map.of(), Map.of());
  }
}
