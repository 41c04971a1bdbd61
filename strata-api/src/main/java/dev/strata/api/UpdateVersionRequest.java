package dev.strata.api;

import static java.util.Objects.requireNonNull;

import dev.strata.control.Names;
import java.util.Map;
import java.util.Optional;

/**
 * {@code PATCH /api/v1/models/{model}/versions/{version}}: the only changes a version allows, a
 * stage transition (see {@link Stage#canMoveTo}) and new tags.
 */
public record UpdateVersionRequest(Optional<Stage> stage, Optional<Map<String, String>> tags) {
  public UpdateVersionRequest {
    requireNonNull(stage, "stage");
    tags = requireNonNull(tags, "tags").map(t -> Names.requireTags(t, "tag"));
  }

  public static UpdateVersionRequest stage(Stage stage) {
    return new UpdateVersionRequest(Optional.of(stage), Optional.empty());
  }
}
