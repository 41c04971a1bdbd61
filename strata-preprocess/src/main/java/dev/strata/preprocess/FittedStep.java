package dev.strata.preprocess;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.strata.core.StrataException;
import java.util.List;

/**
 * A step with everything learned from the training data written down, so that it runs the same way
 * on any machine, at training and at serving time. Column steps apply to one column each.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "op")
@JsonSubTypes({
  @JsonSubTypes.Type(FittedStep.Grayscale.class),
  @JsonSubTypes.Type(FittedStep.Resize.class),
  @JsonSubTypes.Type(FittedStep.Normalize.class),
  @JsonSubTypes.Type(FittedStep.Fill.class),
  @JsonSubTypes.Type(FittedStep.RequirePresent.class),
  @JsonSubTypes.Type(FittedStep.Clip.class),
  @JsonSubTypes.Type(FittedStep.Affine.class),
  @JsonSubTypes.Type(FittedStep.OneHot.class),
  @JsonSubTypes.Type(FittedStep.Ordinal.class)
})
public sealed interface FittedStep {

  @JsonTypeName("grayscale")
  record Grayscale() implements FittedStep {}

  @JsonTypeName("resize")
  record Resize(int height, int width) implements FittedStep {
    public Resize {
      if (height <= 0 || width <= 0) {
        throw StrataException.invalid("resize: %dx%d (expected: > 0)", height, width);
      }
    }
  }

  /** {@code (pixel / 255 - mean[c]) / std[c]} per channel. */
  @JsonTypeName("normalize")
  record Normalize(float[] mean, float[] std) implements FittedStep {
    public Normalize {
      requireNonNull(mean, "mean");
      requireNonNull(std, "std");
      if (mean.length != std.length || mean.length == 0) {
        throw StrataException.invalid(
            "normalize: %d means, %d stds (expected: one of each per channel)",
            mean.length, std.length);
      }
      mean = mean.clone();
      std = std.clone();
    }

    @Override
    public float[] mean() {
      return mean.clone();
    }

    @Override
    public float[] std() {
      return std.clone();
    }
  }

  /** Replaces a missing cell of {@code column} with {@code value} (a number or a category). */
  @JsonTypeName("fill")
  record Fill(String column, String value) implements FittedStep {
    public Fill {
      requireNonNull(column, "column");
      requireNonNull(value, "value");
    }
  }

  /** Training rows missing {@code column} were dropped; a serving row missing it is refused. */
  @JsonTypeName("require_present")
  record RequirePresent(String column) implements FittedStep {
    public RequirePresent {
      requireNonNull(column, "column");
    }
  }

  @JsonTypeName("clip")
  record Clip(String column, double lower, double upper) implements FittedStep {
    public Clip {
      requireNonNull(column, "column");
      if (!(lower <= upper)) {
        throw StrataException.invalid(
            "clip '%s': [%s, %s] (expected: lower <= upper)", column, lower, upper);
      }
    }
  }

  /** {@code (x - offset) / scale}: min-max or standard scaling with fitted constants. */
  @JsonTypeName("affine")
  record Affine(String column, double offset, double scale) implements FittedStep {
    public Affine {
      requireNonNull(column, "column");
      if (!(scale > 0) || Double.isInfinite(scale)) {
        throw StrataException.invalid("scale '%s': %s (expected: > 0)", column, scale);
      }
    }
  }

  @JsonTypeName("one_hot")
  record OneHot(String column, List<String> categories) implements FittedStep {
    public OneHot {
      requireNonNull(column, "column");
      categories = List.copyOf(categories);
    }
  }

  @JsonTypeName("ordinal")
  record Ordinal(String column, List<String> categories) implements FittedStep {
    public Ordinal {
      requireNonNull(column, "column");
      categories = List.copyOf(categories);
    }
  }
}
