package dev.strata.edge;

import static java.util.Objects.requireNonNull;

import dev.strata.control.DesiredState;

/** The last desired state received, kept in {@code state/desired.json}. */
record TargetState(DesiredState state) {
  TargetState {
    requireNonNull(state, "state");
  }
}
