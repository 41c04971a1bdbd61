package dev.strata.core;

import static java.util.Objects.requireNonNull;

import java.util.List;

/** The Open Inference Protocol's server metadata: name, version and supported extensions. */
public record ServerMetadata(String name, String version, List<String> extensions) {
  public ServerMetadata {
    requireNonNull(name, "name");
    requireNonNull(version, "version");
    extensions = List.copyOf(extensions);
  }
}
