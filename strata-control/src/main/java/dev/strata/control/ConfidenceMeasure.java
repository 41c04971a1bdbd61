package dev.strata.control;

/**
 * How an edge scores its confidence in an answer for the cascade policy. {@link #MAX_PROBABILITY}
 * and {@link #MARGIN} (top-1 minus top-2 probability) escalate when the score is below the
 * threshold; {@link #ENTROPY} (of the output distribution, in nats) escalates when it is above.
 */
public enum ConfidenceMeasure {
  MAX_PROBABILITY,
  MARGIN,
  ENTROPY
}
