package dev.strata.api;

/** Where a deployment revision is in its life. */
public enum RevisionStatus {
  /** Rolling out to the canary nodes. */
  CANARY,
  /** What every (non-canary) matching node runs. */
  ACTIVE,
  /** Replaced by a newer revision; a rollback target. */
  SUPERSEDED,
  /** Taken back, by hand or automatically; never a rollback target. */
  ROLLED_BACK
}
