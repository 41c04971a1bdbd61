package dev.strata.api;

import static java.util.Objects.requireNonNull;

import dev.strata.control.Names;
import java.util.Map;
import java.util.Optional;

/** {@code PATCH /api/v1/models/{model}}: changes what is given, keeps the rest. */
public record UpdateModelRequest(Optional<String> description, Optional<Map<String, String>> tags) {
  public UpdateModelRequest {
    requireNonNull(description, "description");
    tags = requireNonNull(tags, "tags").map(t -> Names.requireTags(t, "tag"));
  }
}
