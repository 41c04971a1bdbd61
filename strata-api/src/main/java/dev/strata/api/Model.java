package dev.strata.api;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * A named model: the container of its versions.
 *
 * @param name the model name, unique
 * @param description free text
 * @param tags free-form key/value tags, changeable
 * @param latestVersion the highest version number created so far
 * @param createdAt when the model was registered
 */
public record Model(
    String name,
    String description,
    Map<String, String> tags,
    Optional<Long> latestVersion,
    Instant createdAt) {
  public Model {
    requireNonNull(name, "name");
    requireNonNull(description, "description");
    tags = Map.copyOf(tags);
    requireNonNull(latestVersion, "latestVersion");
    requireNonNull(createdAt, "createdAt");
  }
}
