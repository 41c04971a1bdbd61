package dev.strata.train.data;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import dev.strata.preprocess.RawImage;
import java.util.List;

/**
 * Labelled raw data as read from disk, before preprocessing: images or rows of cells. For
 * classification {@code labels} index {@code classes}; for regression {@code targets} hold the
 * values and {@code classes} is empty.
 */
public sealed interface Dataset {
  /** Where it came from (a file or directory), for messages and provenance. */
  String source();

  int size();

  int[] labels();

  float[] targets();

  List<String> classes();

  /** The samples at these indices, in that order. */
  Dataset subset(int[] idx);

  /** Labelled images. */
  record Images(String source, List<RawImage> images, int[] labels, List<String> classes)
      implements Dataset {
    public Images {
      requireNonNull(source, "source");
      images = List.copyOf(images);
      classes = List.copyOf(classes);
      if (images.size() != labels.length) {
        throw StrataException.invalid(
            "%s: %d images but %d labels (expected: the same count)",
            source, images.size(), labels.length);
      }
      checkLabels(source, labels, classes.size());
    }

    @Override
    public int size() {
      return images.size();
    }

    @Override
    public float[] targets() {
      return new float[0];
    }

    /** The samples at these indices. */
    public Images subset(int[] idx) {
      RawImage[] im = new RawImage[idx.length];
      int[] lb = new int[idx.length];
      for (int i = 0; i < idx.length; i++) {
        im[i] = images.get(idx[i]);
        lb[i] = labels[idx[i]];
      }
      return new Images(source, List.of(im), lb, classes);
    }
  }

  /**
   * Labelled rows: {@code rows} hold the feature cells in the order of the pipeline's input
   * columns.
   */
  record Rows(
      String source, List<List<String>> rows, int[] labels, float[] targets, List<String> classes)
      implements Dataset {
    public Rows {
      requireNonNull(source, "source");
      rows = List.copyOf(rows);
      classes = List.copyOf(classes);
      int n = classes.isEmpty() ? targets.length : labels.length;
      if (rows.size() != n) {
        throw StrataException.invalid(
            "%s: %d rows but %d labels (expected: the same count)", source, rows.size(), n);
      }
      checkLabels(source, labels, classes.size());
    }

    @Override
    public int size() {
      return rows.size();
    }

    public Rows subset(int[] idx) {
      List<List<String>> r = new java.util.ArrayList<>(idx.length);
      int[] lb = new int[classes.isEmpty() ? 0 : idx.length];
      float[] tg = new float[classes.isEmpty() ? idx.length : 0];
      for (int i = 0; i < idx.length; i++) {
        r.add(rows.get(idx[i]));
        if (classes.isEmpty()) {
          tg[i] = targets[idx[i]];
        } else {
          lb[i] = labels[idx[i]];
        }
      }
      return new Rows(source, r, lb, tg, classes);
    }
  }

  private static void checkLabels(String source, int[] labels, int classes) {
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= classes) {
        throw StrataException.invalid(
            "%s: label %d of sample %d (expected: 0..%d for %d classes)",
            source, labels[i], i, classes - 1, classes);
      }
    }
  }
}
