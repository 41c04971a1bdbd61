package dev.strata.edge.calibrate;

import dev.strata.core.StrataException;
import dev.strata.preprocess.RawImage;
import java.util.List;

/**
 * A labelled validation set: each example's values (row-major, as the model's input without the
 * batch dimension) and its class; for an image set also the images themselves, which a model
 * exported with its own preprocessing takes as raw bytes (so its pipeline, not this set's scaling,
 * makes the input).
 *
 * @param images the examples as grayscale images, or empty when the set is not made of images
 */
public record LabelledSet(List<float[]> examples, int[] labels, List<RawImage> images) {
  public LabelledSet {
    examples = List.copyOf(examples);
    labels = labels.clone();
    images = List.copyOf(images);
    if (!images.isEmpty() && images.size() != labels.length) {
      throw StrataException.invalid(
          "labelled set: %d images and %d labels (expected: as many)",
          images.size(), labels.length);
    }
    if (examples.size() != labels.length) {
      throw StrataException.invalid(
          "labelled set: %d examples and %d labels (expected: as many)",
          examples.size(), labels.length);
    }
    if (examples.isEmpty()) {
      throw StrataException.invalid("labelled set: empty (expected: at least one example)");
    }
  }

  /** A set of plain value vectors. */
  public LabelledSet(List<float[]> examples, int[] labels) {
    this(examples, labels, List.of());
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
    return new LabelledSet(
        examples.subList(0, n), l, images.isEmpty() ? images : images.subList(0, n));
  }
}
