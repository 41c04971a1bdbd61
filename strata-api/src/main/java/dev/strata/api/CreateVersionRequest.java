package dev.strata.api;

import static java.util.Objects.requireNonNull;

import dev.strata.control.Names;
import java.util.Map;

/**
 * {@code POST /api/v1/models/{model}/versions}: creates the next version, in stage {@code staging},
 * with no variants yet.
 */
public record CreateVersionRequest(String description, Map<String, String> tags) {
  public static final CreateVersionRequest EMPTY = new CreateVersionRequest("", Map.of());

  public CreateVersionRequest {
    requireNonNull(description, "description");
    tags = Names.requireTags(tags, "tag");
  }
}
