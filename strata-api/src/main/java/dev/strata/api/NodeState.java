package dev.strata.api;

/**
 * A node's liveness by the age of its last heartbeat: {@link #ONLINE} within the stale threshold,
 * {@link #STALE} up to the offline threshold, {@link #OFFLINE} after it (or never heard from).
 */
public enum NodeState {
  ONLINE,
  STALE,
  OFFLINE
}
