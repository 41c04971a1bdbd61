package dev.strata.preprocess;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.strata.core.StrataException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** What raw input a pipeline reads: images, or rows of named columns with a label column. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
  @JsonSubTypes.Type(InputSpec.Image.class),
  @JsonSubTypes.Type(InputSpec.Tabular.class)
})
public sealed interface InputSpec {

  /**
   * Images as they arrive (before any step): {@code channels} is 1 (grayscale) or 3 (RGB); height
   * and width are the source size (0 = any size, which then needs a {@link Step.Resize}).
   */
  @JsonTypeName("image")
  record Image(int channels, int height, int width) implements InputSpec {
    public Image {
      if (channels != 1 && channels != 3) {
        throw StrataException.invalid("input.channels: %d (expected: 1 or 3)", channels);
      }
      if (height < 0 || width < 0) {
        throw StrataException.invalid(
            "input size: %dx%d (expected: >= 0, 0 for any size)", height, width);
      }
    }
  }

  /** Rows of the given columns (in order, the label excluded) and the label column's name. */
  @JsonTypeName("tabular")
  record Tabular(List<Column> columns, String label) implements InputSpec {
    public Tabular {
      columns = List.copyOf(requireNonNull(columns, "columns"));
      label = label == null ? "" : label;
      if (columns.isEmpty()) {
        throw StrataException.invalid("input.columns: empty (expected: at least one column)");
      }
      Set<String> seen = new HashSet<>();
      for (Column c : columns) {
        if (!seen.add(c.name())) {
          throw StrataException.invalid("input.columns: '%s' appears twice", c.name());
        }
        if (c.name().equals(label)) {
          throw StrataException.invalid(
              "input.columns: '%s' is the label column (expected: features only)", c.name());
        }
      }
    }

    /** The index of a column, failing with a clear message for an unknown name. */
    public int indexOf(String name) {
      for (int i = 0; i < columns.size(); i++) {
        if (columns.get(i).name().equals(name)) {
          return i;
        }
      }
      throw StrataException.invalid(
          "column '%s' is not an input column (expected one of %s)",
          name, columns.stream().map(Column::name).toList());
    }
  }

  /** A feature column: numeric values or categories (strings). */
  record Column(String name, ColumnKind kind) {
    public Column {
      requireNonNull(name, "name");
      requireNonNull(kind, "kind");
      if (name.isBlank()) {
        throw StrataException.invalid("column name: blank");
      }
    }
  }

  /** How a column's raw cells are read. */
  enum ColumnKind {
    NUMERIC,
    CATEGORICAL
  }
}
