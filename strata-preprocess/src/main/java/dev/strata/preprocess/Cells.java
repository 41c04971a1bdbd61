package dev.strata.preprocess;

import dev.strata.core.StrataException;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads raw cells: a missing cell is empty or one of {@code NA}, {@code N/A}, {@code NaN}, {@code
 * null}, {@code ?} (any case, surrounding blanks ignored). Numeric cells are parsed as decimal
 * numbers; categorical cells are kept as trimmed text.
 */
public final class Cells {
  private static final Set<String> MISSING = Set.of("", "na", "n/a", "nan", "null", "?");

  private Cells() {}

  public static boolean isMissing(String cell) {
    return cell == null || MISSING.contains(cell.strip().toLowerCase(Locale.ROOT));
  }

  /**
   * Parses one row of raw cells in the input's column order: a Double (NaN when missing) for a
   * numeric column, a String (null when missing) for a categorical one.
   *
   * @param where names the row in errors, e.g. "data.csv line 17"
   */
  static Object[] parse(InputSpec.Tabular input, List<String> cells, String where) {
    List<InputSpec.Column> cols = input.columns();
    if (cells.size() != cols.size()) {
      throw StrataException.invalid(
          "%s: %d values (expected: %d, one per column %s)",
          where, cells.size(), cols.size(), cols.stream().map(InputSpec.Column::name).toList());
    }
    Object[] out = new Object[cols.size()];
    for (int i = 0; i < out.length; i++) {
      String cell = cells.get(i);
      boolean missing = isMissing(cell);
      if (cols.get(i).kind() == InputSpec.ColumnKind.NUMERIC) {
        out[i] = missing ? Double.NaN : parseNumber(cell, cols.get(i).name(), where);
      } else {
        out[i] = missing ? null : cell.strip();
      }
    }
    return out;
  }

  static double parseNumber(String cell, String column, String where) {
    try {
      double v = Double.parseDouble(cell.strip());
      if (Double.isInfinite(v)) {
        throw new NumberFormatException("infinite");
      }
      return v;
    } catch (NumberFormatException e) {
      throw StrataException.invalid(
          "%s, column '%s': '%s' is not a number", where, column, cell.strip());
    }
  }
}
