package dev.strata.registry.model;

import dev.strata.api.Artifact;
import dev.strata.api.CreateModelRequest;
import dev.strata.api.CreateVariantRequest;
import dev.strata.api.CreateVersionRequest;
import dev.strata.api.Model;
import dev.strata.api.ModelVersion;
import dev.strata.api.Stage;
import dev.strata.api.UpdateModelRequest;
import dev.strata.api.UpdateVersionRequest;
import dev.strata.api.Variant;
import dev.strata.registry.artifact.ArtifactContent;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Models, their immutable versions and the variants of each version, with artifacts kept
 * content-addressed. Every method is one transaction; errors are {@code StrataException}s with
 * NOT_FOUND, ALREADY_EXISTS, INVALID_ARGUMENT or FAILED_PRECONDITION naming what was wrong.
 */
public interface ModelRegistry {
  Model createModel(CreateModelRequest request);

  Model model(String name);

  List<Model> models();

  Model updateModel(String name, UpdateModelRequest request);

  /** Deletes a model with its versions; FAILED_PRECONDITION while a deployment uses it. */
  void deleteModel(String name);

  ModelVersion createVersion(String model, CreateVersionRequest request);

  ModelVersion version(String model, long version);

  /** The versions of a model, newest first. */
  List<ModelVersion> versions(String model);

  /** The newest version in {@code stage}, if any. */
  Optional<ModelVersion> latest(String model, Stage stage);

  ModelVersion updateVersion(String model, long version, UpdateVersionRequest request);

  /** Deletes a version; FAILED_PRECONDITION while any deployment revision refers to it. */
  void deleteVersion(String model, long version);

  /**
   * Adds a variant whose artifact is already stored; signs its manifest. FAILED_PRECONDITION when
   * the version is archived or the artifact is missing; ALREADY_EXISTS for a taken name.
   */
  Variant addVariant(String model, long version, CreateVariantRequest request);

  Variant variant(String model, long version, String variant);

  /** Streams an artifact into the store (size-limited, digest-verified, atomic). */
  Artifact uploadArtifact(InputStream content, Optional<String> expectedSha256);

  Artifact artifact(String sha256);

  /** Opens a byte range of an artifact for download. */
  ArtifactContent openArtifact(String sha256, long offset, long length);

  /**
   * Deletes stored artifacts no variant refers to and that were stored more than {@code minAge} ago
   * (younger ones may belong to an upload whose variant is being created).
   */
  GarbageCollection collectGarbage(Duration minAge);

  /** What a garbage collection removed. */
  record GarbageCollection(List<String> deleted, long bytesFreed) {
    public GarbageCollection {
      deleted = List.copyOf(deleted);
    }
  }
}
