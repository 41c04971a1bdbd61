package dev.strata.edge;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * How one request of a deployment ended.
 *
 * @param servedBy who answered; empty when the request failed
 * @param escalated whether the cloud was asked
 * @param latencyNanos from arrival to the answer (or failure)
 */
public record InferenceOutcome(Optional<ServedBy> servedBy, boolean escalated, long latencyNanos) {
  public InferenceOutcome {
    requireNonNull(servedBy, "servedBy");
  }

  public boolean failed() {
    return servedBy.isEmpty();
  }

  /** The cloud was asked and the edge answered instead. */
  public boolean fellBack() {
    return servedBy.equals(Optional.of(ServedBy.EDGE_FALLBACK));
  }
}
