package dev.strata.registry.auth;

import java.util.Optional;

/** Checks an edge node's credential ({@code stn_<nodeId>.<secret>}); the fleet implements it. */
@FunctionalInterface
public interface NodeCredentials {
  Optional<NodePrincipal> authenticateNode(String credential);
}
