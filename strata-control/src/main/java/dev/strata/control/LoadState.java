package dev.strata.control;

/** Where a node is with one model it was told to run. */
public enum LoadState {
  DOWNLOADING,
  LOADING,
  READY,
  FAILED,
  UNLOADING
}
