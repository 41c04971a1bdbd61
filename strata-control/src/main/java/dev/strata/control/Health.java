package dev.strata.control;

/** A node's own view of its health, as reported in heartbeats. */
public enum Health {
  HEALTHY,
  DEGRADED,
  UNHEALTHY
}
