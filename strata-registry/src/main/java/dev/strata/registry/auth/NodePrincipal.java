package dev.strata.registry.auth;

import static java.util.Objects.requireNonNull;

/** An enrolled edge node, authenticated by its node credential. */
public record NodePrincipal(String id, String name) implements Principal {
  public NodePrincipal {
    requireNonNull(id, "id");
    requireNonNull(name, "name");
  }
}
