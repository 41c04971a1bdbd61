package dev.strata.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.strata.core.ErrorCode;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class TabularPipelineTest {
  private static final InputSpec.Tabular INPUT =
      new InputSpec.Tabular(
          List.of(
              new InputSpec.Column("age", InputSpec.ColumnKind.NUMERIC),
              new InputSpec.Column("income", InputSpec.ColumnKind.NUMERIC),
              new InputSpec.Column("color", InputSpec.ColumnKind.CATEGORICAL)),
          "label");

  private static final List<List<String>> ROWS =
      List.of(
          List.of("10", "100", "red"),
          List.of("20", "", "blue"),
          List.of("30", "300", "NA"),
          List.of("", "400", "red"),
          List.of("50", "10000", "green"));

  @Test
  void imputesWithEachStrategy() {
    assertThat(fill(Step.ImputeStrategy.MEAN, "age")).isEqualTo("27.5"); // (10+20+30+50)/4
    assertThat(fill(Step.ImputeStrategy.MEDIAN, "age")).isEqualTo("25.0");
    assertThat(fill(Step.ImputeStrategy.MOST_FREQUENT, "color")).isEqualTo("red");
    PipelineSpec constant =
        PipelineSpec.of(
            INPUT,
            List.of(
                new Step.Impute(List.of(), Step.ImputeStrategy.CONSTANT, "0"),
                new Step.OneHot(List.of())));
    // one constant for every column: "0" is a number for age/income and a category for color
    float[][] f = PipelineFitter.fitRows(constant, ROWS, "t").features();
    assertThat(f[3][0]).isEqualTo(0f);
    assertThat(f[1][1]).isEqualTo(0f);

    PipelineSpec drop =
        PipelineSpec.of(
            INPUT,
            List.of(
                new Step.Impute(List.of(), Step.ImputeStrategy.DROP_ROW, ""),
                new Step.Ordinal(List.of())));
    PipelineFitter.TabularFit fit = PipelineFitter.fitRows(drop, ROWS, "t");
    assertThat(fit.keptRows()).containsExactly(0, 4);
    assertThatThrownBy(() -> fit.pipeline().applyRows(List.of(List.of("1", "", "red")), "req"))
        .hasMessageContaining("req row 0: column 'income' is missing (training dropped such rows");
  }

  private static String fill(Step.ImputeStrategy strategy, String column) {
    PipelineSpec spec =
        PipelineSpec.of(
            INPUT,
            List.of(
                new Step.Impute(List.of(column), strategy, ""),
                new Step.Impute(List.of(), Step.ImputeStrategy.MOST_FREQUENT, ""),
                new Step.OneHot(List.of())));
    return ((FittedStep.Fill) PipelineFitter.fitRows(spec, ROWS, "t").pipeline().steps().getFirst())
        .value();
  }

  @Test
  void clipsScalesAndEncodes() {
    PipelineSpec spec =
        PipelineSpec.of(
            INPUT,
            List.of(
                new Step.Impute(List.of(), Step.ImputeStrategy.MOST_FREQUENT, ""),
                new Step.Clip(List.of("income"), 0.0, 0.75),
                new Step.Scale(List.of("age"), Step.ScaleMethod.MIN_MAX),
                new Step.Scale(List.of("income"), Step.ScaleMethod.STANDARD),
                new Step.OneHot(List.of("color"))));
    PipelineFitter.TabularFit fit = PipelineFitter.fitRows(spec, ROWS, "t");
    FittedPipeline p = fit.pipeline();
    // income after imputation (most frequent: ties -> smallest "100.0"): 100,100,300,400,10000
    // 0.75 quantile = 400, so 10000 is clipped to 400
    FittedStep.Clip clip =
        p.steps().stream()
            .filter(FittedStep.Clip.class::isInstance)
            .map(FittedStep.Clip.class::cast)
            .findFirst()
            .orElseThrow();
    assertThat(clip.lower()).isEqualTo(100);
    assertThat(clip.upper()).isEqualTo(400);
    assertThat(p.featureShape()).containsExactly(5); // age, income, 3 colours
    float[][] f = fit.features();
    assertThat(f[0][0]).isEqualTo(0f); // age 10 -> min
    assertThat(f[4][0]).isEqualTo(1f); // age 50 -> max
    double mean = (100 + 100 + 300 + 400 + 400) / 5.0;
    double std =
        Math.sqrt(
            (Math.pow(100 - mean, 2) * 2 + Math.pow(300 - mean, 2) + Math.pow(400 - mean, 2) * 2)
                / 5);
    assertThat(f[4][1]).isCloseTo((float) ((400 - mean) / std), within(1e-5f));
    // categories sorted: blue, green, red
    assertThat(new float[] {f[0][2], f[0][3], f[0][4]}).containsExactly(0, 0, 1);
    // an unseen category encodes as all zeros; an outlier is clipped as in training
    float[][] served = p.applyRows(List.of(List.of("50", "99999", "purple")), "req");
    assertThat(served[0][1]).isCloseTo((float) ((400 - mean) / std), within(1e-5f));
    assertThat(new float[] {served[0][2], served[0][3], served[0][4]}).containsExactly(0, 0, 0);
  }

  @Test
  void ordinalEncodingUsesSortedTrainingCategories() {
    PipelineSpec spec =
        PipelineSpec.of(
            INPUT,
            List.of(
                new Step.Impute(List.of(), Step.ImputeStrategy.MOST_FREQUENT, ""),
                new Step.Ordinal(List.of("color"))));
    FittedPipeline p = PipelineFitter.fitRows(spec, ROWS, "t").pipeline();
    assertThat(p.applyRows(List.of(List.of("1", "2", "green"), List.of("1", "2", "pink")), "r"))
        .satisfies(
            f -> {
              assertThat(f[0][2]).isEqualTo(1f);
              assertThat(f[1][2]).isEqualTo(-1f);
            });
  }

  @Test
  void servesRowsCellsAndColumnsAlikeAndRoundTripsThroughJson() {
    PipelineSpec spec =
        PipelineSpec.of(
            INPUT,
            List.of(
                new Step.Impute(List.of(), Step.ImputeStrategy.MOST_FREQUENT, ""),
                new Step.Scale(List.of(), Step.ScaleMethod.STANDARD),
                new Step.OneHot(List.of())));
    PipelineFitter.TabularFit fit = PipelineFitter.fitRows(spec, ROWS, "t");
    FittedPipeline p = FittedPipeline.fromJson(fit.pipeline().toJson());
    assertThat(p).isEqualTo(fit.pipeline().withModelInput("input"));
    float[] expected = concat(fit.features()[0], fit.features()[2]);

    Tensor lines = Tensor.ofStrings("rows", Shape.of(2), List.of("10,100,red", "30,300,NA"));
    Tensor cells =
        Tensor.ofStrings("cells", Shape.of(2, 3), List.of("10", "100", "red", "30", "300", ""));
    List<Tensor> columns =
        List.of(
            Tensor.ofStrings("color", Shape.of(2), List.of("red", "?")),
            Tensor.ofFloats("age", Shape.of(2, 1), 10f, 30f),
            Tensor.ofDoubles("income", Shape.of(2), 100, 300));
    for (Tensor out : List.of(p.apply(lines), p.apply(cells), p.apply(columns))) {
      assertThat(out.shape()).isEqualTo(Shape.of(2, 5));
      assertThat(out.floats()).containsExactly(expected);
    }
    assertThatThrownBy(() -> p.apply(Tensor.ofStrings("rows", Shape.of(1), List.of("1,2"))))
        .hasMessageContaining("input row 0: 2 values (expected: 3");
    assertThatThrownBy(() -> p.apply(Tensor.ofStrings("rows", Shape.of(1), List.of("x,2,red"))))
        .hasMessageContaining("column 'age': 'x' is not a number");
    // a cell that is not UTF-8 is refused, never read as a category with U+FFFD in it
    byte[] latin1 = {'3', '0', ',', '3', '0', '0', ',', 'r', (byte) 0xE9, 'd'};
    Tensor notUtf8 = Tensor.ofBytes("rows", Shape.of(1), List.of(latin1));
    assertThatThrownBy(() -> p.apply(notUtf8))
        .isInstanceOfSatisfying(
            StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("tensor 'rows': element 0 is not valid UTF-8");
  }

  @Test
  void refusesCategoricalColumnsWithoutEncoding() {
    PipelineSpec spec =
        PipelineSpec.of(
            INPUT, List.of(new Step.Impute(List.of(), Step.ImputeStrategy.MOST_FREQUENT, "")));
    assertThatThrownBy(() -> PipelineFitter.fitRows(spec, ROWS, "t"))
        .hasMessageContaining("column 'color' is categorical and has no one_hot or ordinal step");
  }

  @Test
  void missingValuesWithoutImputeAreAnErrorNamingTheRow() {
    PipelineSpec spec = PipelineSpec.of(INPUT, List.of(new Step.OneHot(List.of())));
    assertThatThrownBy(() -> PipelineFitter.fitRows(spec, ROWS, "data.csv"))
        .hasMessageContaining("data.csv row 1: column 'income' is missing");
  }

  private static float[] concat(float[] a, float[] b) {
    float[] out = new float[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
