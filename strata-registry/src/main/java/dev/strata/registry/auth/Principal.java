package dev.strata.registry.auth;

/** Who made a request: a management user (admin token or API key) or an enrolled edge node. */
public sealed interface Principal permits UserPrincipal, NodePrincipal {
  /** A stable id for audit logs (never a secret). */
  String id();
}
