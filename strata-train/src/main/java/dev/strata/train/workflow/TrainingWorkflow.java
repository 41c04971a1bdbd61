package dev.strata.train.workflow;

import static java.util.Objects.requireNonNull;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.strata.core.AtomicFiles;
import dev.strata.core.StrataException;
import dev.strata.onnx.OnnxModels;
import dev.strata.preprocess.FittedPipeline;
import dev.strata.train.data.DataSources;
import dev.strata.train.data.Features;
import dev.strata.train.data.PreparedData;
import dev.strata.train.engine.TrainConfig;
import dev.strata.train.eval.CrossValidation;
import dev.strata.train.eval.EvaluationReport;
import dev.strata.train.eval.Evaluator;
import dev.strata.train.eval.TrainJson;
import dev.strata.train.export.ModelExport;
import dev.strata.train.report.HtmlReport;
import dev.strata.train.spec.TrainingSpec;
import dev.strata.train.training.Checkpoints;
import dev.strata.train.training.Distillation;
import dev.strata.train.training.JsonLinesLog;
import dev.strata.train.training.ModelTrainer;
import dev.strata.train.training.TrainedModel;
import dev.strata.train.training.TrainingListener;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole {@code strata train} run: read the data, fit the pipeline, train (or resume) with a
 * checkpoint per epoch, evaluate on the test set, export a verified ONNX model and write the
 * reports. Output directory layout:
 *
 * <pre>
 * DIR/checkpoint/          spec, fitted pipeline, weights, optimizer state (resume from here)
 * DIR/training-log.jsonl   one JSON object per epoch
 * DIR/model.onnx           the exported model, with labels, pipeline, provenance and metrics
 * DIR/metrics.json         the evaluation on the test set
 * DIR/report.html          the same as a self-contained page with charts
 * </pre>
 */
public final class TrainingWorkflow {
  private static final Logger log = LoggerFactory.getLogger(TrainingWorkflow.class);

  /** How many samples the export is verified on. */
  public static final int VERIFY_SAMPLES = 64;

  private final TrainConfig config;
  private final Clock clock;

  public TrainingWorkflow(TrainConfig config, Clock clock) {
    this.config = requireNonNull(config, "config");
    this.clock = requireNonNull(clock, "clock");
  }

  /** Options of one run. */
  public record Options(
      boolean resume,
      Optional<Integer> epochs,
      Optional<Integer> stopAfterEpochs,
      int crossValidationFolds,
      TrainingListener progress) {
    public Options {
      requireNonNull(epochs, "epochs");
      requireNonNull(stopAfterEpochs, "stopAfterEpochs");
      requireNonNull(progress, "progress");
      if (crossValidationFolds == 1 || crossValidationFolds < 0) {
        throw StrataException.invalid(
            "cross-validation folds: %d (expected: 0 for none, or >= 2)", crossValidationFolds);
      }
    }

    public static Options defaults(TrainingListener progress) {
      return new Options(false, Optional.empty(), Optional.empty(), 0, progress);
    }
  }

  /** What a run produced. */
  public record Result(
      Path model,
      Path metrics,
      Path report,
      EvaluationReport evaluation,
      long parameterCount,
      int epochsTrained) {}

  public Result run(TrainingSpec specIn, Path data, Path out, Options options) throws IOException {
    return run(specIn, data, out, options, Optional.empty(), Optional.empty());
  }

  /**
   * Runs as {@link #run(TrainingSpec, Path, Path, Options)} does, the data transformed by {@code
   * fitted} when given (e.g. a teacher's own pipeline) and trained with {@code distillation}'s loss
   * when given (such a run is not resumable).
   */
  public Result run(
      TrainingSpec specIn,
      Path data,
      Path out,
      Options options,
      Optional<FittedPipeline> fitted,
      Optional<Distillation> distillation)
      throws IOException {
    Path checkpoint = out.resolve("checkpoint");
    boolean resuming = options.resume() && Files.exists(checkpoint.resolve(Checkpoints.STATE));
    TrainingSpec spec = resuming ? Checkpoints.spec(checkpoint) : specIn;
    if (options.epochs().isPresent()) {
      spec = spec.withEpochs(options.epochs().get());
    }
    Files.createDirectories(out);
    DataSources.Loaded loaded = DataSources.load(data, spec);
    if (resuming && distillation.isPresent()) {
      throw StrataException.invalid(
          "%s: a distillation run cannot be resumed (the teacher is not in the checkpoint); start"
              + " it again without --resume",
          checkpoint);
    }
    PreparedData prepared = PreparedData.prepare(spec, loaded, fitted);
    log.info(
        "data {}: {} training, {} validation, {} test samples, {} classes",
        data,
        prepared.train().count(),
        prepared.validation().map(Features::count).orElse(0),
        prepared.test().map(Features::count).orElse(0),
        prepared.classes().size());

    Optional<CrossValidation.Result> cv = Optional.empty();
    if (options.crossValidationFolds() >= 2 && !resuming) {
      cv = Optional.of(crossValidate(spec, prepared, out, options.crossValidationFolds()));
    }
    Path logFile = out.resolve("training-log.jsonl");
    if (!resuming) {
      Files.deleteIfExists(logFile);
    }
    ModelTrainer trainer =
        new ModelTrainer(
            config, clock, TrainingListener.all(options.progress(), new JsonLinesLog(logFile)));
    try (TrainedModel model =
        resuming
            ? trainer.resume(checkpoint, prepared, options.stopAfterEpochs())
            : distillation.isPresent()
                ? trainer.distill(spec, prepared, checkpoint, distillation.get())
                : trainer.train(spec, prepared, checkpoint, options.stopAfterEpochs())) {
      return finish(model, prepared, data.toString(), out, cv);
    }
  }

  /**
   * Evaluates a trained model on the test data (else the validation split, else the training data),
   * exports the verified ONNX model and writes {@code metrics.json} and {@code report.html} into
   * {@code out}: the end of every training run, in one process or on a cluster.
   */
  public Result finish(
      TrainedModel model,
      PreparedData prepared,
      String data,
      Path out,
      Optional<CrossValidation.Result> cv)
      throws IOException {
    Features eval = prepared.test().or(prepared::validation).orElse(prepared.train());
    String evalName =
        prepared.test().isPresent()
            ? "test set of " + data
            : prepared.validation().isPresent()
                ? "validation split of " + data
                : "training data of " + data + " (no test or validation data)";
    EvaluationReport report = evaluate(model, eval, evalName, cv);
    String metricsJson = TrainJson.write(report);
    ModelProto proto =
        ModelExport.export(
            model, eval, VERIFY_SAMPLES, Optional.of(TrainJson.writeCompact(report)), clock);
    Path modelFile = out.resolve("model.onnx");
    OnnxModels.write(proto, modelFile);
    Path metrics = out.resolve("metrics.json");
    AtomicFiles.write(metrics, metricsJson.getBytes(StandardCharsets.UTF_8));
    Path html = out.resolve("report.html");
    AtomicFiles.write(html, HtmlReport.render(report).getBytes(StandardCharsets.UTF_8));
    log.info("wrote {}, {}, {}", modelFile, metrics, html);
    return new Result(
        modelFile, metrics, html, report, model.parameterCount(), model.history().size());
  }

  /** Evaluates a trained model on features, in DJL. */
  public static EvaluationReport evaluate(
      TrainedModel model, Features eval, String evalName, Optional<CrossValidation.Result> cv) {
    float[][] out = predictAll(model, eval);
    long seed = model.spec().training().seed();
    if (eval.isClassification()) {
      return Evaluator.classification(
          model.spec().name(),
          evalName,
          model.parameterCount(),
          model.classes(),
          eval.labels(),
          out,
          cv,
          model.history(),
          seed);
    }
    float[] pred = new float[out.length];
    for (int i = 0; i < out.length; i++) {
      pred[i] = out[i][0];
    }
    return Evaluator.regression(
        model.spec().name(),
        evalName,
        model.parameterCount(),
        eval.targets(),
        pred,
        cv,
        model.history(),
        seed);
  }

  static float[][] predictAll(TrainedModel model, Features f) {
    int n = f.count();
    int per = f.sampleSize();
    float[][] out = new float[n][];
    int batch = 256;
    for (int from = 0; from < n; from += batch) {
      int b = Math.min(batch, n - from);
      float[] x = new float[b * per];
      System.arraycopy(f.data(), from * per, x, 0, x.length);
      float[][] y = model.predict(x, b);
      System.arraycopy(y, 0, out, from, b);
    }
    return out;
  }

  private CrossValidation.Result crossValidate(
      TrainingSpec spec, PreparedData prepared, Path out, int k) throws IOException {
    Features all = prepared.train();
    int[] strata = all.isClassification() ? all.labels() : new int[all.count()];
    ModelTrainer trainer = new ModelTrainer(config, clock, new TrainingListener() {});
    String metric = all.isClassification() ? "accuracy" : "rmse";
    try {
      return CrossValidation.run(
          metric,
          strata,
          k,
          spec.training().seed(),
          (trainIdx, testIdx) -> {
            PreparedData fold =
                new PreparedData(
                    prepared.pipeline(),
                    prepared.classes(),
                    all.subset(trainIdx),
                    Optional.empty(),
                    Optional.empty(),
                    prepared.digest());
            Path dir = Files.createTempDirectory(out, "cv-");
            try (TrainedModel m = trainer.train(spec, fold, dir, Optional.empty())) {
              EvaluationReport r = evaluate(m, all.subset(testIdx), "fold", Optional.empty());
              return r.classification()
                  .map(c -> c.accuracy())
                  .orElseGet(() -> r.regression().orElseThrow().rmse());
            } finally {
              AtomicFiles.deleteTree(dir);
            }
          });
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw StrataException.internal("cross-validation failed", e);
    }
  }
}
