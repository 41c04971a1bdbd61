package dev.strata.preprocess;

import dev.strata.core.StrataException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs fitted column steps on parsed rows and encodes them as feature vectors. The layout: the
 * input columns in order, a numeric or ordinal column as one value, a one-hot column as one value
 * per training category.
 */
final class TabularOps {
  private final InputSpec.Tabular input;
  private final List<FittedStep> steps;
  private final int[] stepColumn;
  private final Map<Integer, FittedStep> encoding = new HashMap<>();
  private final int width;

  TabularOps(InputSpec.Tabular input, List<FittedStep> steps) {
    this.input = input;
    this.steps = List.copyOf(steps);
    this.stepColumn = new int[steps.size()];
    for (int i = 0; i < steps.size(); i++) {
      FittedStep s = steps.get(i);
      int col = input.indexOf(columnOf(s));
      stepColumn[i] = col;
      if (s instanceof FittedStep.OneHot || s instanceof FittedStep.Ordinal) {
        if (encoding.put(col, s) != null) {
          throw StrataException.invalid("column '%s' is encoded twice", columnOf(s));
        }
      }
    }
    int w = 0;
    for (int c = 0; c < input.columns().size(); c++) {
      InputSpec.Column col = input.columns().get(c);
      FittedStep enc = encoding.get(c);
      if (col.kind() == InputSpec.ColumnKind.CATEGORICAL && enc == null) {
        throw StrataException.invalid(
            "column '%s' is categorical and has no one_hot or ordinal step", col.name());
      }
      if (col.kind() == InputSpec.ColumnKind.NUMERIC && enc != null) {
        throw StrataException.invalid(
            "column '%s' is numeric (expected: one_hot and ordinal on categorical columns)",
            col.name());
      }
      w += enc instanceof FittedStep.OneHot oh ? oh.categories().size() : 1;
    }
    this.width = w;
  }

  int width() {
    return width;
  }

  /** Runs every step but the encodings on a parsed row, in place. */
  void transform(Object[] row, String where) {
    for (int i = 0; i < steps.size(); i++) {
      applyStep(steps.get(i), stepColumn[i], row, where);
    }
  }

  static void applyStep(FittedStep s, int col, Object[] row, String where) {
    switch (s) {
      case FittedStep.Fill f -> {
        if (row[col] == null) {
          row[col] = f.value();
        } else if (row[col] instanceof Double d && d.isNaN()) {
          row[col] = Double.parseDouble(f.value());
        }
      }
      case FittedStep.RequirePresent r -> {
        if (row[col] == null || row[col] instanceof Double d && d.isNaN()) {
          throw StrataException.invalid(
              "%s: column '%s' is missing (training dropped such rows, so it is required)",
              where, r.column());
        }
      }
      case FittedStep.Clip c -> {
        if (row[col] instanceof Double d && !d.isNaN()) {
          row[col] = Math.min(c.upper(), Math.max(c.lower(), d));
        }
      }
      case FittedStep.Affine a -> {
        if (row[col] instanceof Double d) {
          row[col] = (d - a.offset()) / a.scale();
        }
      }
      case FittedStep.OneHot o -> {}
      case FittedStep.Ordinal o -> {}
      default ->
          throw StrataException.invalid(
              "step %s does not apply to columns", s.getClass().getSimpleName());
    }
  }

  /** Encodes a transformed row into {@code out} starting at {@code offset}. */
  void encode(Object[] row, float[] out, int offset, String where) {
    int at = offset;
    for (int c = 0; c < row.length; c++) {
      InputSpec.Column col = input.columns().get(c);
      FittedStep enc = encoding.get(c);
      if (enc instanceof FittedStep.OneHot oh) {
        int idx = row[c] == null ? -1 : oh.categories().indexOf((String) row[c]);
        if (row[c] == null) {
          throw missing(where, col);
        }
        for (int k = 0; k < oh.categories().size(); k++) {
          out[at++] = k == idx ? 1f : 0f;
        }
      } else if (enc instanceof FittedStep.Ordinal ord) {
        if (row[c] == null) {
          throw missing(where, col);
        }
        out[at++] = ord.categories().indexOf((String) row[c]);
      } else {
        double d = (Double) row[c];
        if (Double.isNaN(d)) {
          throw missing(where, col);
        }
        out[at++] = (float) d;
      }
    }
  }

  private static StrataException missing(String where, InputSpec.Column col) {
    return StrataException.invalid(
        "%s: column '%s' is missing and the pipeline has no impute step for it", where, col.name());
  }

  static String columnOf(FittedStep s) {
    return switch (s) {
      case FittedStep.Fill f -> f.column();
      case FittedStep.RequirePresent r -> r.column();
      case FittedStep.Clip c -> c.column();
      case FittedStep.Affine a -> a.column();
      case FittedStep.OneHot o -> o.column();
      case FittedStep.Ordinal o -> o.column();
      default ->
          throw StrataException.invalid(
              "step %s does not apply to columns", s.getClass().getSimpleName());
    };
  }
}
