package dev.strata.cli.demo;

import static java.util.Objects.requireNonNull;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.api.CloudApiClient;
import dev.strata.api.CreateModelRequest;
import dev.strata.api.CreateVariantRequest;
import dev.strata.api.CreateVersionRequest;
import dev.strata.api.ModelSignature;
import dev.strata.api.ModelVersion;
import dev.strata.api.Stage;
import dev.strata.api.TensorSignature;
import dev.strata.api.Variant;
import dev.strata.control.Json;
import dev.strata.core.StrataException;
import dev.strata.onnx.OnnxModels;
import dev.strata.preprocess.ModelMetadataKeys;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Registers a model file as a variant, idempotently: a version that already has this variant with
 * the same artifact digest is reused; otherwise the artifact is uploaded and a variant added to a
 * new version (or to an empty newest version an interrupted earlier run left behind). The variant
 * carries the model's signature, labels and metrics from its ONNX metadata.
 */
final class ModelPublisher {
  /** The variant and whether it was registered before. */
  record Published(Variant variant, boolean reused) {}

  private final CloudApiClient cloud;

  ModelPublisher(CloudApiClient cloud) {
    this.cloud = requireNonNull(cloud, "cloud");
  }

  Published publish(String model, String variant, Path file, String description)
      throws IOException {
    String sha256 = CloudApiClient.sha256(file);
    if (cloud.findModel(model).isEmpty()) {
      cloud.createModel(
          new CreateModelRequest(model, description, Map.of("source", "strata-demo")));
    }
    List<ModelVersion> versions = cloud.versions(model); // newest first
    for (ModelVersion v : versions) {
      for (Variant existing : v.variants()) {
        if (existing.name().equals(variant) && existing.sha256().equals(sha256)) {
          return new Published(existing, true);
        }
      }
    }
    CreateVariantRequest request = variantRequest(variant, sha256, file);
    cloud.uploadArtifact(file, sha256);
    Optional<ModelVersion> empty =
        versions.stream()
            .findFirst()
            .filter(v -> v.variants().isEmpty() && v.stage() != Stage.ARCHIVED);
    long version =
        empty.isPresent()
            ? empty.get().version()
            : cloud.createVersion(model, CreateVersionRequest.EMPTY).version();
    return new Published(cloud.addVariant(model, version, request), false);
  }

  /** {@code fashion-cnn/model.onnx}: the file with its directory, not where it lies here. */
  private static String relativeName(Path file) {
    Path abs = file.toAbsolutePath().normalize();
    return abs.getParent() == null
        ? abs.getFileName().toString()
        : abs.getParent().getFileName() + "/" + abs.getFileName();
  }

  /** The variant as the model file describes itself. */
  static CreateVariantRequest variantRequest(String name, String sha256, Path file)
      throws IOException {
    if (file.getFileName().toString().endsWith(".gguf")) {
      return new CreateVariantRequest(
          name,
          dev.strata.control.ModelFormats.GGUF,
          sha256,
          ModelSignature.UNKNOWN,
          List.of(),
          Map.of(),
          Map.of("file", relativeName(file), "registeredBy", "strata demo"),
          Map.of());
    }
    ModelProto proto = OnnxModels.readDescription(file);
    Map<String, String> metadata = OnnxModels.metadata(proto);
    ModelSignature signature =
        new ModelSignature(
            OnnxModels.inputs(proto).stream().map(TensorSignature::of).toList(),
            OnnxModels.outputs(proto).stream().map(TensorSignature::of).toList());
    List<String> labels =
        metadata.containsKey(ModelMetadataKeys.LABELS)
            ? Json.readStringList(metadata.get(ModelMetadataKeys.LABELS))
            : List.of();
    Map<String, Double> metrics = new HashMap<>();
    if (metadata.containsKey(ModelMetadataKeys.METRICS)) {
      try {
        JsonNode m = Json.mapper().readTree(metadata.get(ModelMetadataKeys.METRICS));
        JsonNode accuracy = m.at("/classification/accuracy");
        if (accuracy.isNumber()) {
          metrics.put("accuracy", accuracy.asDouble());
        }
        JsonNode parameters = m.get("parameter_count");
        if (parameters != null && parameters.isNumber()) {
          metrics.put("parameters", parameters.asDouble());
        }
      } catch (IOException e) {
        throw StrataException.invalid(
            "%s: metadata %s is not JSON", file, ModelMetadataKeys.METRICS);
      }
    }
    return new CreateVariantRequest(
        name,
        "onnx",
        sha256,
        signature,
        labels,
        metrics,
        Map.of("file", relativeName(file), "registeredBy", "strata demo"),
        Map.of());
  }
}
