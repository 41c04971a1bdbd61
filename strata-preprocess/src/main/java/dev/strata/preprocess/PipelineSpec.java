package dev.strata.preprocess;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.core.StrataException;
import java.util.List;
import java.util.Optional;

/**
 * A declared preprocessing pipeline: the raw input it reads and its steps in order. It is data
 * (JSON or YAML), fitted on training data into a {@link FittedPipeline} by {@link PipelineFitter}.
 *
 * <pre>{@code
 * {"format_version": 1,
 *  "input": {"kind": "image", "channels": 1, "height": 28, "width": 28},
 *  "steps": [{"op": "normalize"}, {"op": "random_shift", "max_pixels": 2},
 *            {"op": "split", "validation": 0.1, "test": 0, "seed": 7, "stratified": true}]}
 * }</pre>
 */
public record PipelineSpec(int formatVersion, InputSpec input, List<Step> steps) {
  /** The newest format this code reads and the one it writes. */
  public static final int FORMAT_VERSION = 1;

  public PipelineSpec {
    requireNonNull(input, "input");
    steps = steps == null ? List.of() : List.copyOf(steps);
    if (formatVersion < 1 || formatVersion > FORMAT_VERSION) {
      throw StrataException.invalid(
          "preprocessing: format_version %d (expected: 1..%d)", formatVersion, FORMAT_VERSION);
    }
    validate(input, steps);
  }

  public static PipelineSpec of(InputSpec input, List<Step> steps) {
    return new PipelineSpec(FORMAT_VERSION, input, steps);
  }

  /** Parses a JSON pipeline spec, refusing a newer format with a clear message. */
  public static PipelineSpec fromJson(String json) {
    return fromTree(PipelineJson.readTree(json, "preprocessing"));
  }

  /** Reads a spec from a parsed JSON or YAML tree. */
  public static PipelineSpec fromTree(JsonNode tree) {
    PipelineJson.checkFormatVersion(tree, FORMAT_VERSION, "preprocessing");
    return PipelineJson.convert(tree, PipelineSpec.class, "preprocessing");
  }

  public String toJson() {
    return PipelineJson.write(this);
  }

  /** The split step, if one is declared. */
  public Optional<Step.Split> split() {
    return steps.stream()
        .filter(Step.Split.class::isInstance)
        .map(Step.Split.class::cast)
        .findFirst();
  }

  /** The training-only augmentation steps, in order. */
  public List<Step> augmentation() {
    return steps.stream()
        .filter(s -> s instanceof Step.RandomFlip || s instanceof Step.RandomShift)
        .toList();
  }

  private static void validate(InputSpec input, List<Step> steps) {
    boolean image = input instanceof InputSpec.Image;
    boolean normalized = false;
    int splits = 0;
    for (int i = 0; i < steps.size(); i++) {
      Step s = steps.get(i);
      boolean imageStep =
          s instanceof Step.Grayscale
              || s instanceof Step.Resize
              || s instanceof Step.Normalize
              || s instanceof Step.RandomFlip
              || s instanceof Step.RandomShift;
      boolean columnStep =
          s instanceof Step.Impute
              || s instanceof Step.Clip
              || s instanceof Step.Scale
              || s instanceof Step.OneHot
              || s instanceof Step.Ordinal;
      String name = s.getClass().getSimpleName();
      if (image && columnStep) {
        throw StrataException.invalid(
            "preprocessing.steps[%d]: %s applies to tabular input, not images", i, name);
      }
      if (!image && imageStep) {
        throw StrataException.invalid(
            "preprocessing.steps[%d]: %s applies to images, not tabular input", i, name);
      }
      if ((s instanceof Step.Grayscale || s instanceof Step.Resize) && normalized) {
        throw StrataException.invalid(
            "preprocessing.steps[%d]: %s after normalize (expected: normalize last)", i, name);
      }
      if (s instanceof Step.Normalize n) {
        if (normalized) {
          throw StrataException.invalid("preprocessing.steps[%d]: a second normalize", i);
        }
        normalized = true;
        int channels = outputChannels(input, steps.subList(0, i));
        if (n.fitted() && n.mean().size() != channels) {
          throw StrataException.invalid(
              "preprocessing.steps[%d]: normalize has %d means for %d channels",
              i, n.mean().size(), channels);
        }
      }
      if (s instanceof Step.Split && ++splits > 1) {
        throw StrataException.invalid("preprocessing.steps[%d]: a second split", i);
      }
      if (s instanceof Step.Impute
          || s instanceof Step.Clip
          || s instanceof Step.Scale
          || s instanceof Step.OneHot
          || s instanceof Step.Ordinal) {
        for (String c : columnsOf(s)) {
          ((InputSpec.Tabular) input).indexOf(c);
        }
      }
    }
    if (input instanceof InputSpec.Image img
        && (img.height() == 0 || img.width() == 0)
        && steps.stream().noneMatch(Step.Resize.class::isInstance)) {
      throw StrataException.invalid(
          "preprocessing: input images of any size need a resize step (expected: input height and"
              + " width, or a resize)");
    }
  }

  static List<String> columnsOf(Step s) {
    return switch (s) {
      case Step.Impute i -> i.columns();
      case Step.Clip c -> c.columns();
      case Step.Scale c -> c.columns();
      case Step.OneHot c -> c.columns();
      case Step.Ordinal c -> c.columns();
      default -> List.of();
    };
  }

  static int outputChannels(InputSpec input, List<Step> steps) {
    int c = ((InputSpec.Image) input).channels();
    for (Step s : steps) {
      if (s instanceof Step.Grayscale) {
        c = 1;
      }
    }
    return c;
  }
}
