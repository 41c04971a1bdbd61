package dev.strata.registry.fleet;

/** A node's own view of its health, as reported in heartbeats. */
public enum Health {
  HEALTHY,
  DEGRADED,
  UNHEALTHY
}
