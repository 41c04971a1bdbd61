package dev.strata.api;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * An immutable version of a model: its variants never change once added; only the stage and tags of
 * the version do.
 *
 * @param model the model name
 * @param version the version number, assigned 1, 2, 3... by the registry
 * @param stage the lifecycle stage
 * @param description free text given at creation
 * @param tags free-form key/value tags, changeable
 * @param variants the variants (e.g. fp32 for the cloud, int8 for the edge), by name
 * @param createdAt when the version was created
 * @param updatedAt when its stage or tags last changed
 */
public record ModelVersion(
    String model,
    long version,
    Stage stage,
    String description,
    Map<String, String> tags,
    List<Variant> variants,
    Instant createdAt,
    Instant updatedAt) {
  public ModelVersion {
    requireNonNull(model, "model");
    requireNonNull(stage, "stage");
    requireNonNull(description, "description");
    tags = Map.copyOf(tags);
    variants = List.copyOf(variants);
    requireNonNull(createdAt, "createdAt");
    requireNonNull(updatedAt, "updatedAt");
  }
}
