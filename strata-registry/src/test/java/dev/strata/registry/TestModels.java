package dev.strata.registry;

import dev.strata.api.Artifact;
import dev.strata.api.CreateModelRequest;
import dev.strata.api.CreateVariantRequest;
import dev.strata.api.CreateVersionRequest;
import dev.strata.api.ModelVersion;
import dev.strata.api.Variant;
import dev.strata.core.StrataException;
import dev.strata.registry.model.ModelRegistry;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** Registers small fake artifacts as model versions for tests that need something to deploy. */
public final class TestModels {
  private TestModels() {}

  /** A new version of {@code model} (created when absent) with one variant of these bytes. */
  public static Variant newVersion(
      ModelRegistry models, String model, String variant, String content) {
    try {
      models.model(model);
    } catch (StrataException e) {
      models.createModel(CreateModelRequest.of(model));
    }
    ModelVersion v = models.createVersion(model, CreateVersionRequest.EMPTY);
    Artifact a =
        models.uploadArtifact(
            new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8)), Optional.empty());
    return models.addVariant(model, v.version(), CreateVariantRequest.onnx(variant, a.sha256()));
  }
}
