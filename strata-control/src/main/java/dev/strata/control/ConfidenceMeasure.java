package dev.strata.control;

/**
 * How an edge scores its confidence in an answer for the cascade policy. {@link #MAX_PROBABILITY}
 * and {@link #MARGIN} (top-1 minus top-2 probability) escalate when the score is below the
 * threshold; {@link #ENTROPY} escalates when it is above. Every score lies in 0-1: the entropy is
 * normalised, the output distribution's entropy divided by that of the uniform distribution over as
 * many classes, so one threshold means the same for 10 classes as for 1000.
 *
 * <p>{@link #AGREEMENT} is the measure for language models: a few continuations are sampled beside
 * the answer and the score is how much of the answer's first tokens they reproduce, position by
 * position (0-1; the answer escalates when the score is below the threshold). It stands in for the
 * mean token log-probability, which llama.cpp's Java binding cannot return (it aborts when asked
 * for token probabilities).
 */
public enum ConfidenceMeasure {
  MAX_PROBABILITY,
  MARGIN,
  ENTROPY,
  AGREEMENT;

  /** Whether this measure scores a language model's generated text rather than class scores. */
  public boolean forLanguageModels() {
    return this == AGREEMENT;
  }
}
