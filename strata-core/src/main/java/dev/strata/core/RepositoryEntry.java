package dev.strata.core;

import static java.util.Objects.requireNonNull;

/**
 * One row of a model repository index.
 *
 * @param name the model
 * @param version the version, empty for a model with no loaded version
 * @param state READY, LOADING, UNLOADING or UNAVAILABLE
 * @param reason why it is not ready, empty otherwise
 */
public record RepositoryEntry(String name, String version, String state, String reason) {
  public RepositoryEntry {
    requireNonNull(name, "name");
    requireNonNull(version, "version");
    requireNonNull(state, "state");
    requireNonNull(reason, "reason");
  }
}
