package dev.strata.api;

/** Where a deployment runs: on the cloud itself, or on the edge nodes its selector matches. */
public enum Target {
  CLOUD,
  EDGE
}
