package dev.strata.api;

import static java.util.Objects.requireNonNull;

import dev.strata.control.SignedManifest;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One concrete artifact of a model version, e.g. {@code fp32} for the cloud or {@code int8} (or a
 * smaller architecture) for the edge. Immutable.
 *
 * @param model the model name
 * @param version the version number
 * @param name the variant name, unique within the version
 * @param format the artifact format, e.g. {@code onnx}
 * @param sha256 the artifact's digest in the artifact store
 * @param size the artifact's size in bytes
 * @param signature the model's inputs and outputs
 * @param labels the class labels, index-aligned with the output (empty where not a classifier)
 * @param metrics evaluation metrics, e.g. {@code accuracy}, {@code latency_ms_p50}
 * @param provenance where it came from, e.g. {@code dataset}, {@code trainRun}, {@code parent},
 *     {@code compression}
 * @param tags free-form key/value tags
 * @param manifest the cloud-signed manifest edges verify before loading it
 * @param createdAt when it was added
 */
public record Variant(
    String model,
    long version,
    String name,
    String format,
    String sha256,
    long size,
    ModelSignature signature,
    List<String> labels,
    Map<String, Double> metrics,
    Map<String, String> provenance,
    Map<String, String> tags,
    SignedManifest manifest,
    Instant createdAt) {
  public Variant {
    requireNonNull(model, "model");
    requireNonNull(name, "name");
    requireNonNull(format, "format");
    requireNonNull(sha256, "sha256");
    requireNonNull(signature, "signature");
    labels = List.copyOf(labels);
    metrics = Map.copyOf(metrics);
    provenance = Map.copyOf(provenance);
    tags = Map.copyOf(tags);
    requireNonNull(manifest, "manifest");
    requireNonNull(createdAt, "createdAt");
  }
}
