package dev.strata.edge.calibrate;

import dev.strata.core.StrataException;
import java.util.List;

/**
 * A labelled validation set: each example's values (row-major, as the model's input without the
 * batch dimension) and its class.
 */
public record LabelledSet(List<float[]> examples, int[] labels) {
  public LabelledSet {
    examples = List.copyOf(examples);
    labels = labels.clone();
    if (examples.size() != labels.length) {
      throw StrataException.invalid(
          "labelled set: %d examples and %d labels (expected: as many)",
          examples.size(), labels.length);
    }
    if (examples.isEmpty()) {
      throw StrataException.invalid("labelled set: empty (expected: at least one example)");
    }
  }

  public int size() {
    return labels.length;
  }

  /** The first {@code n} examples. */
  public LabelledSet limit(int n) {
    if (n >= size()) {
      return this;
    }
    int[] l = new int[n];
    System.arraycopy(labels, 0, l, 0, n);
    return new LabelledSet(examples.subList(0, n), l);
  }
}
