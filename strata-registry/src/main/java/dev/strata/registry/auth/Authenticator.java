package dev.strata.registry.auth;

import static java.util.Objects.requireNonNull;

import dev.strata.api.Role;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import java.util.Optional;

/**
 * What the HTTP layer calls with a request's bearer token: the admin token, an API key or a node
 * credential becomes a {@link Principal}; anything else is UNAUTHENTICATED. Role checks throw
 * PERMISSION_DENIED. Messages never contain the token.
 */
public final class Authenticator {
  private final AdminToken admin;
  private final ApiKeys apiKeys;
  private final NodeCredentials nodes;

  public Authenticator(AdminToken admin, ApiKeys apiKeys, NodeCredentials nodes) {
    this.admin = requireNonNull(admin, "admin");
    this.apiKeys = requireNonNull(apiKeys, "apiKeys");
    this.nodes = requireNonNull(nodes, "nodes");
  }

  /** The principal of a bearer token (without the {@code Bearer } prefix). */
  public Principal authenticate(String token) {
    if (token == null || token.isBlank()) {
      throw new StrataException(
          ErrorCode.UNAUTHENTICATED, "missing credentials (expected: a bearer token)");
    }
    Optional<? extends Principal> p;
    if (token.startsWith(ApiKeys.PREFIX + "_")) {
      p = apiKeys.authenticate(token);
    } else if (token.startsWith(NODE_PREFIX + "_")) {
      p = nodes.authenticateNode(token);
    } else {
      // The generated admin token starts with sta_; a configured one may have any shape.
      p = admin.matches(token) ? Optional.of(ADMIN) : Optional.empty();
    }
    return p.orElseThrow(
        () ->
            new StrataException(
                ErrorCode.UNAUTHENTICATED, "invalid, expired or revoked credentials"));
  }

  /** The prefix of node credentials. */
  public static final String NODE_PREFIX = "stn";

  private static final UserPrincipal ADMIN = new UserPrincipal("admin", "admin", Role.ADMIN);

  /** Authenticates a management caller and checks it has at least {@code role}. */
  public UserPrincipal requireRole(String token, Role role) {
    return requireRole(authenticate(token), role);
  }

  /** Checks an authenticated principal has at least {@code role}. */
  public static UserPrincipal requireRole(Principal principal, Role role) {
    requireNonNull(role, "role");
    return switch (principal) {
      case UserPrincipal u when u.role().allows(role) -> u;
      case UserPrincipal u ->
          throw new StrataException(
              ErrorCode.PERMISSION_DENIED,
              String.format(
                  "%s has role %s (expected: %s or higher)",
                  u.id(), u.role().wireName(), role.wireName()));
      case NodePrincipal n ->
          throw new StrataException(
              ErrorCode.PERMISSION_DENIED,
              "node " + n.id() + ": node credentials cannot use the management API");
    };
  }

  /** Authenticates an edge node; a management credential is PERMISSION_DENIED here. */
  public NodePrincipal requireNode(String token) {
    return switch (authenticate(token)) {
      case NodePrincipal n -> n;
      case UserPrincipal u ->
          throw new StrataException(
              ErrorCode.PERMISSION_DENIED,
              u.id() + ": node endpoints need a node credential (from enrollment)");
    };
  }
}
