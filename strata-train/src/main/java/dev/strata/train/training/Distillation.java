package dev.strata.train.training;

import dev.strata.core.StrataException;

/**
 * Knowledge distillation (Hinton, Vinyals and Dean, 2015): the student's loss is {@code alpha *
 * hard + (1 - alpha) * T^2 * KL(softmax(teacher / T) || softmax(student / T))}, where {@code hard}
 * is the spec's loss on the labels and the teacher's logits come from {@link Teacher} for each
 * batch exactly as the student sees it (after augmentation).
 */
public record Distillation(Teacher teacher, double temperature, double alpha) {
  /** Gives the teacher's logits for a batch. */
  @FunctionalInterface
  public interface Teacher {
    /**
     * @param batch {@code n} preprocessed samples, row-major, as the student's input, at its start
     *     (the array may be longer: the trainer's batch buffer, not copied)
     * @return {@code n * classes} logits (log-probabilities do as well: softmax ignores a shift)
     */
    float[] logits(float[] batch, int n);
  }

  public Distillation {
    if (teacher == null) {
      throw new NullPointerException("teacher");
    }
    if (!(temperature > 0)) {
      throw StrataException.invalid("--temperature %s (expected: > 0)", temperature);
    }
    if (!(alpha >= 0 && alpha <= 1)) {
      throw StrataException.invalid("--alpha %s (expected: 0 <= alpha <= 1)", alpha);
    }
  }
}
