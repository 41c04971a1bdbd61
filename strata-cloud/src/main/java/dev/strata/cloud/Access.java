package dev.strata.cloud;

import static java.util.Objects.requireNonNull;

import dev.strata.api.Role;

/** Who may call a management API endpoint. */
sealed interface Access {
  /** No credential: enrollment (the token is in the body), the signing key, the API docs. */
  record Public() implements Access {}

  /** A management credential (admin token or API key) with at least {@code role}. */
  record User(Role role) implements Access {
    public User {
      requireNonNull(role, "role");
    }
  }

  /** An edge node's credential only. */
  record Node() implements Access {}

  /** A management credential with at least {@code role}, or a node credential. */
  record UserOrNode(Role role) implements Access {
    public UserOrNode {
      requireNonNull(role, "role");
    }
  }

  Access PUBLIC = new Public();
  Access NODE = new Node();
  Access VIEWER = new User(Role.VIEWER);
  Access DEPLOYER = new User(Role.DEPLOYER);
  Access ADMIN = new User(Role.ADMIN);

  /** Any valid credential ({@code whoami}). */
  Access ANY = new UserOrNode(Role.VIEWER);

  /** How docs/api.md names it. */
  default String describe() {
    return switch (this) {
      case Public p -> "none";
      case User u -> u.role().name();
      case Node n -> "node";
      case UserOrNode u -> u.role().name() + " or node";
    };
  }
}
