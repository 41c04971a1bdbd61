package dev.strata.control;

/**
 * How an edge scores its confidence in an answer for the cascade policy. {@link #MAX_PROBABILITY}
 * and {@link #MARGIN} (top-1 minus top-2 probability) escalate when the score is below the
 * threshold; {@link #ENTROPY} escalates when it is above. Every score lies in 0-1: the entropy is
 * normalised, the output distribution's entropy divided by that of the uniform distribution over as
 * many classes, so one threshold means the same for 10 classes as for 1000.
 */
public enum ConfidenceMeasure {
  MAX_PROBABILITY,
  MARGIN,
  ENTROPY
}
