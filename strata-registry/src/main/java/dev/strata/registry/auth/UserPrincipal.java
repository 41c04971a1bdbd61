package dev.strata.registry.auth;

import static java.util.Objects.requireNonNull;

import dev.strata.api.Role;

/**
 * A management caller.
 *
 * @param id {@code admin} for the admin token, else the API key's id
 * @param name a readable name (the API key's name)
 * @param role what it may do
 */
public record UserPrincipal(String id, String name, Role role) implements Principal {
  public UserPrincipal {
    requireNonNull(id, "id");
    requireNonNull(name, "name");
    requireNonNull(role, "role");
  }
}
