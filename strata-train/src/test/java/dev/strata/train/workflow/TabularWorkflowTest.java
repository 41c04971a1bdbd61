package dev.strata.train.workflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.onnx.OnnxModels;
import dev.strata.preprocess.FittedPipeline;
import dev.strata.train.TestSupport;
import dev.strata.train.spec.TrainingSpec;
import dev.strata.train.training.ModelTrainer;
import dev.strata.train.training.TrainedModel;
import dev.strata.train.training.TrainingListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CSV data with missing values and categories: classification with k-fold CV, and regression. */
class TabularWorkflowTest {
  private static final String PIPELINE =
      """
      preprocessing:
        input:
          kind: tabular
          label: y
          columns:
            - {name: a, kind: numeric}
            - {name: b, kind: numeric}
            - {name: colour, kind: categorical}
        steps:
          - {op: impute, strategy: median, columns: [a, b]}
          - {op: impute, strategy: most_frequent, columns: [colour]}
          - {op: clip, lower_quantile: 0.01, upper_quantile: 0.99}
          - {op: scale, method: standard}
          - {op: one_hot}
          - {op: split, validation: 0.2, test: 0.2, seed: 3, stratified: true}
      """;

  /** y = 1 when a + b > 0 (plus a colour effect); 5% of cells missing. */
  private static Path writeCsv(Path dir, boolean regression) throws Exception {
    Random rnd = new Random(1);
    StringBuilder csv = new StringBuilder("a,b,colour,y\n");
    String[] colours = {"red", "green", "blue"};
    for (int i = 0; i < 400; i++) {
      double a = rnd.nextGaussian();
      double b = rnd.nextGaussian();
      int c = rnd.nextInt(3);
      double score = a + b + (c == 0 ? 0.5 : 0);
      String y =
          regression
              ? String.format(Locale.ROOT, "%.4f", 2 * a - b + c)
              : score > 0 ? "pos" : "neg";
      csv.append(rnd.nextDouble() < 0.05 ? "" : String.format(Locale.ROOT, "%.4f", a))
          .append(',')
          .append(rnd.nextDouble() < 0.05 ? "NA" : String.format(Locale.ROOT, "%.4f", b))
          .append(',')
          .append(rnd.nextDouble() < 0.05 ? "" : colours[c])
          .append(',')
          .append(y)
          .append('\n');
    }
    Path file = dir.resolve("data.csv");
    Files.writeString(file, csv);
    return file;
  }

  @Test
  void classifiesRowsWithCrossValidationAndServesRawRowsLikeTraining(@TempDir Path dir)
      throws Exception {
    Path csv = writeCsv(dir, false);
    TrainingSpec spec =
        TestSupport.spec(
            """
            format_version: 1
            name: tabular
            task: classification
            %s
            model:
              layers:
                - {type: linear, units: 16}
                - {type: relu}
                - {type: linear, units: 2}
                - {type: softmax}
            training:
              epochs: 15
              batch_size: 32
              seed: 5
              optimizer: {type: adam, learning_rate: 0.01}
            """
                .formatted(PIPELINE));
    TrainingWorkflow.Result r =
        new TrainingWorkflow(TestSupport.CONFIG, Clock.systemUTC())
            .run(
                spec,
                csv,
                dir.resolve("out"),
                new TrainingWorkflow.Options(
                    false, Optional.empty(), Optional.empty(), 3, new TrainingListener() {}));
    var c = r.evaluation().classification().orElseThrow();
    assertThat(c.classes()).containsExactly("neg", "pos");
    assertThat(c.samples()).isEqualTo(80);
    assertThat(c.accuracy()).isGreaterThan(0.8);
    assertThat(c.rocAuc().orElseThrow()).isGreaterThan(0.85);
    var cv = r.evaluation().crossValidation().orElseThrow();
    assertThat(cv.folds()).isEqualTo(3);
    assertThat(cv.scores()).hasSize(3);
    assertThat(cv.mean()).isGreaterThan(0.7);

    // serve raw rows (missing and unseen values included) through the model's own pipeline
    ModelProto proto = OnnxModels.read(r.model());
    FittedPipeline p = FittedPipeline.fromModelMetadata(OnnxModels.metadata(proto)).orElseThrow();
    List<String> rows = List.of("1.5,0.3,red", ",-2,blue", "0.1,NA,", "9999,-1,purple");
    Tensor in = p.apply(Tensor.ofStrings("rows", Shape.of(rows.size()), rows));
    float[][] served = runOnnx(proto, in);
    try (TrainedModel m =
        new ModelTrainer(TestSupport.CONFIG, Clock.systemUTC(), new TrainingListener() {})
            .restore(dir.resolve("out/checkpoint"))) {
      List<List<String>> cells = new ArrayList<>();
      for (String row : rows) {
        cells.add(List.of(row.split(",", -1)));
      }
      float[][] f = m.pipeline().applyRows(cells, "rows");
      float[] flat = new float[f.length * f[0].length];
      for (int i = 0; i < f.length; i++) {
        System.arraycopy(f[i], 0, flat, i * f[0].length, f[0].length);
      }
      float[][] trained = m.predict(flat, rows.size());
      for (int i = 0; i < rows.size(); i++) {
        assertThat(served[i][1]).isCloseTo(trained[i][1], within(1e-4f));
      }
    }
  }

  @Test
  void regressionReportsMaeRmseAndR2(@TempDir Path dir) throws Exception {
    Path csv = writeCsv(dir, true);
    TrainingSpec spec =
        TestSupport.spec(
            """
            format_version: 1
            name: tabular-regression
            task: regression
            %s
            model:
              layers:
                - {type: linear, units: 16}
                - {type: tanh}
                - {type: linear, units: 1}
            training:
              epochs: 30
              batch_size: 32
              seed: 5
              loss: {type: l1}
              optimizer: {type: adam, learning_rate: 0.01}
              early_stopping: {metric: loss, patience: 5}
            """
                .formatted(PIPELINE.replace("stratified: true", "stratified: false")));
    TrainingWorkflow.Result r =
        new TrainingWorkflow(TestSupport.CONFIG, Clock.systemUTC())
            .run(
                spec,
                csv,
                dir.resolve("out"),
                TrainingWorkflow.Options.defaults(new TrainingListener() {}));
    var m = r.evaluation().regression().orElseThrow();
    assertThat(m.r2()).isGreaterThan(0.8);
    assertThat(m.rmse()).isGreaterThan(0).isLessThan(1.5);
    assertThat(m.mae()).isLessThanOrEqualTo(m.rmse());
    assertThat(OnnxModels.outputs(OnnxModels.read(r.model())).getFirst().name())
        .isEqualTo("prediction");
    assertThat(Files.readString(r.metrics())).contains("\"r2\"");
  }

  private static float[][] runOnnx(ModelProto proto, Tensor in) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession s = env.createSession(proto.toByteArray(), new OrtSession.SessionOptions());
        OnnxTensor x =
            OnnxTensor.createTensor(env, in.data().asFloatBuffer(), in.shape().toArray());
        OrtSession.Result res = s.run(Map.of(in.name(), x))) {
      return (float[][]) res.get(0).getValue();
    }
  }
}
