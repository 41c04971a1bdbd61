package dev.strata.api;

import static java.util.Objects.requireNonNull;

import dev.strata.control.Names;
import java.util.Map;

/** {@code POST /api/v1/models}: registers a model name. */
public record CreateModelRequest(String name, String description, Map<String, String> tags) {
  public CreateModelRequest {
    Names.requireName(name, "model name");
    requireNonNull(description, "description");
    tags = Names.requireTags(tags, "tag");
  }

  public static CreateModelRequest of(String name) {
    return new CreateModelRequest(name, "", Map.of());
  }
}
