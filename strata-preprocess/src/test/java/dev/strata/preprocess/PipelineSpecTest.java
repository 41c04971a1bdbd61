package dev.strata.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import java.util.List;
import org.junit.jupiter.api.Test;

class PipelineSpecTest {
  private static final String IMAGE_SPEC =
      """
      {"format_version": 1,
       "input": {"kind": "image", "channels": 3, "height": 0, "width": 0},
       "steps": [{"op": "grayscale"}, {"op": "resize", "height": 28, "width": 28},
                 {"op": "normalize"}, {"op": "random_flip", "probability": 0.5},
                 {"op": "random_shift", "max_pixels": 2},
                 {"op": "split", "validation": 0.1, "test": 0.1, "seed": 3, "stratified": true}]}
      """;

  @Test
  void parsesAndWritesBackTheSameSpec() {
    PipelineSpec spec = PipelineSpec.fromJson(IMAGE_SPEC);
    assertThat(spec.steps()).hasSize(6);
    assertThat(spec.steps().get(1)).isEqualTo(new Step.Resize(28, 28));
    assertThat(spec.split()).contains(new Step.Split(0.1, 0.1, 3, true));
    assertThat(spec.augmentation())
        .containsExactly(new Step.RandomFlip(0.5), new Step.RandomShift(2));
    assertThat(PipelineSpec.fromJson(spec.toJson())).isEqualTo(spec);
  }

  @Test
  void refusesANewerFormatVersionClearly() {
    assertThatThrownBy(
            () ->
                PipelineSpec.fromJson(
                    IMAGE_SPEC.replace("\"format_version\": 1", "\"format_version\": 2")))
        .isInstanceOf(StrataException.class)
        .hasMessageContaining("format_version 2 is newer than this Strata supports (1)")
        .extracting(e -> ((StrataException) e).code())
        .isEqualTo(ErrorCode.FAILED_PRECONDITION);
  }

  @Test
  void namesTheProblemInABadSpec() {
    assertThatThrownBy(() -> PipelineSpec.fromJson(IMAGE_SPEC.replace("grayscale", "greyscale")))
        .hasMessageContaining("preprocessing")
        .hasMessageContaining("greyscale");
    assertThatThrownBy(() -> PipelineSpec.fromJson("{\"format_version\": 1, \"input\": "))
        .hasMessageContaining("not valid JSON");
    assertThatThrownBy(
            () ->
                PipelineSpec.of(
                    new InputSpec.Image(1, 28, 28),
                    List.of(new Step.Scale(List.of(), Step.ScaleMethod.STANDARD))))
        .hasMessageContaining("steps[0]: Scale applies to tabular input");
    assertThatThrownBy(
            () ->
                PipelineSpec.of(
                    new InputSpec.Image(3, 28, 28),
                    List.of(new Step.Normalize(List.of(0.5), List.of(0.2)))))
        .hasMessageContaining("normalize has 1 means for 3 channels");
    assertThatThrownBy(() -> PipelineSpec.of(new InputSpec.Image(1, 0, 0), List.of()))
        .hasMessageContaining("need a resize step");
    assertThatThrownBy(() -> new Step.Split(0.6, 0.5, 1, true)).hasMessageContaining("sum < 1");
    assertThatThrownBy(
            () ->
                PipelineSpec.of(
                    new InputSpec.Tabular(
                        List.of(new InputSpec.Column("a", InputSpec.ColumnKind.NUMERIC)), "y"),
                    List.of(new Step.OneHot(List.of("b")))))
        .hasMessageContaining("column 'b' is not an input column");
  }
}
