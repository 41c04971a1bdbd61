package dev.strata.registry.fleet;

import dev.strata.api.Node;
import dev.strata.control.Heartbeat;

/** Told of every accepted heartbeat, on the caller's thread; must be quick and must not throw. */
@FunctionalInterface
public interface HeartbeatListener {
  void onHeartbeat(Node node, Heartbeat heartbeat);
}
