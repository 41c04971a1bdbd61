package dev.strata.preprocess;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.strata.core.StrataException;
import java.util.List;

/**
 * One declared preprocessing step. Image steps ({@link Grayscale}, {@link Resize}, {@link
 * Normalize}) and column steps ({@link Impute}, {@link Clip}, {@link Scale}, {@link OneHot}, {@link
 * Ordinal}) are fitted on training data and run the same way at serving time; {@link RandomFlip}
 * and {@link RandomShift} augment training batches only; {@link Split} says how the training data
 * is split and has no effect at serving time.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "op")
@JsonSubTypes({
  @JsonSubTypes.Type(Step.Grayscale.class),
  @JsonSubTypes.Type(Step.Resize.class),
  @JsonSubTypes.Type(Step.Normalize.class),
  @JsonSubTypes.Type(Step.Impute.class),
  @JsonSubTypes.Type(Step.Clip.class),
  @JsonSubTypes.Type(Step.Scale.class),
  @JsonSubTypes.Type(Step.OneHot.class),
  @JsonSubTypes.Type(Step.Ordinal.class),
  @JsonSubTypes.Type(Step.RandomFlip.class),
  @JsonSubTypes.Type(Step.RandomShift.class),
  @JsonSubTypes.Type(Step.Split.class)
})
public sealed interface Step {

  /** Converts RGB images to one luminance channel (ITU-R BT.601 weights). */
  @JsonTypeName("grayscale")
  record Grayscale() implements Step {}

  /** Resizes images to {@code height x width} with bilinear interpolation. */
  @JsonTypeName("resize")
  record Resize(int height, int width) implements Step {
    public Resize {
      if (height <= 0 || width <= 0) {
        throw StrataException.invalid("resize: %dx%d (expected: > 0)", height, width);
      }
    }
  }

  /**
   * Scales pixels to [0, 1] and then standardises each channel: {@code (x - mean) / std}. Empty
   * {@code mean}/{@code std} are fitted on the training images.
   */
  @JsonTypeName("normalize")
  record Normalize(List<Double> mean, List<Double> std) implements Step {
    public Normalize {
      mean = mean == null ? List.of() : List.copyOf(mean);
      std = std == null ? List.of() : List.copyOf(std);
      if (mean.size() != std.size()) {
        throw StrataException.invalid(
            "normalize: %d means and %d stds (expected: the same count, or both empty to fit)",
            mean.size(), std.size());
      }
      for (double s : std) {
        if (!(s > 0)) {
          throw StrataException.invalid("normalize.std: %s (expected: > 0)", s);
        }
      }
    }

    public boolean fitted() {
      return !mean.isEmpty();
    }
  }

  /** How {@link Impute} fills a missing cell. */
  enum ImputeStrategy {
    DROP_ROW,
    CONSTANT,
    MEAN,
    MEDIAN,
    MOST_FREQUENT
  }

  /**
   * Fills missing cells of the given columns (all columns when empty). {@code value} is the
   * constant for {@link ImputeStrategy#CONSTANT}. {@code DROP_ROW} drops training rows; at serving
   * time a missing cell in such a column is an error, since a request row cannot be dropped.
   */
  @JsonTypeName("impute")
  record Impute(List<String> columns, ImputeStrategy strategy, String value) implements Step {
    public Impute {
      columns = columns == null ? List.of() : List.copyOf(columns);
      requireNonNull(strategy, "impute.strategy");
      value = value == null ? "" : value;
      if (strategy == ImputeStrategy.CONSTANT && value.isEmpty()) {
        throw StrataException.invalid("impute: strategy CONSTANT needs a non-empty 'value'");
      }
    }
  }

  /**
   * Clips numeric columns to the training data's {@code [lowerQuantile, upperQuantile]} range (e.g.
   * 0.01 and 0.99) — outliers at serving time are clipped to the same bounds.
   */
  @JsonTypeName("clip")
  record Clip(List<String> columns, double lowerQuantile, double upperQuantile) implements Step {
    public Clip {
      columns = columns == null ? List.of() : List.copyOf(columns);
      if (!(lowerQuantile >= 0 && lowerQuantile < upperQuantile && upperQuantile <= 1)) {
        throw StrataException.invalid(
            "clip: quantiles [%s, %s] (expected: 0 <= lower < upper <= 1)",
            lowerQuantile, upperQuantile);
      }
    }
  }

  /** How {@link Scale} rescales a numeric column. */
  enum ScaleMethod {
    MIN_MAX,
    STANDARD
  }

  /** Rescales numeric columns (all numeric columns when empty) with bounds fitted on training. */
  @JsonTypeName("scale")
  record Scale(List<String> columns, ScaleMethod method) implements Step {
    public Scale {
      columns = columns == null ? List.of() : List.copyOf(columns);
      requireNonNull(method, "scale.method");
    }
  }

  /** One-hot encodes categorical columns; a category unseen in training encodes as all zeros. */
  @JsonTypeName("one_hot")
  record OneHot(List<String> columns) implements Step {
    public OneHot {
      columns = columns == null ? List.of() : List.copyOf(columns);
    }
  }

  /**
   * Encodes categorical columns as the index of the category in sorted training order; an unseen
   * category encodes as -1.
   */
  @JsonTypeName("ordinal")
  record Ordinal(List<String> columns) implements Step {
    public Ordinal {
      columns = columns == null ? List.of() : List.copyOf(columns);
    }
  }

  /** Training-only: flips an image horizontally with the given probability. */
  @JsonTypeName("random_flip")
  record RandomFlip(double probability) implements Step {
    public RandomFlip {
      if (!(probability >= 0 && probability <= 1)) {
        throw StrataException.invalid("random_flip.probability: %s (expected: 0..1)", probability);
      }
    }
  }

  /** Training-only: shifts an image by up to {@code maxPixels} in each direction. */
  @JsonTypeName("random_shift")
  record RandomShift(int maxPixels) implements Step {
    public RandomShift {
      if (maxPixels < 0) {
        throw StrataException.invalid("random_shift.max_pixels: %d (expected: >= 0)", maxPixels);
      }
    }
  }

  /**
   * Splits the training data into train/validation/test parts with these fractions (the rest is
   * training), stratified by label when {@code stratified}, shuffled with {@code seed}.
   */
  @JsonTypeName("split")
  record Split(double validation, double test, long seed, boolean stratified) implements Step {
    public Split {
      if (validation < 0 || test < 0 || validation + test >= 1) {
        throw StrataException.invalid(
            "split: validation %s + test %s (expected: each >= 0, sum < 1)", validation, test);
      }
    }
  }
}
