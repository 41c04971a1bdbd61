package dev.strata.compress.cli;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.compress.distill.OnnxTeacher;
import dev.strata.core.AtomicFiles;
import dev.strata.core.StrataException;
import dev.strata.onnx.Initializers;
import dev.strata.onnx.OnnxModels;
import dev.strata.preprocess.FittedPipeline;
import dev.strata.preprocess.ModelLabels;
import dev.strata.preprocess.ModelMetadataKeys;
import dev.strata.preprocess.PipelineJson;
import dev.strata.train.cli.CommonOptions;
import dev.strata.train.data.DataSources;
import dev.strata.train.eval.OnnxModelEvaluator;
import dev.strata.train.model.Networks;
import dev.strata.train.spec.TrainingSpec;
import dev.strata.train.training.Distillation;
import dev.strata.train.training.ProgressBar;
import dev.strata.train.training.TrainingListener;
import dev.strata.train.workflow.TrainingWorkflow;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code strata compress distill}: a student spec trained on a teacher's soft targets. */
@Command(
    name = "distill",
    mixinStandardHelpOptions = true,
    description = {
      "Train a student spec with knowledge distillation from a teacher ONNX model run in ONNX",
      "Runtime: loss = alpha * CE(labels) + (1 - alpha) * T^2 * KL(teacher_T || student_T), the",
      "teacher seeing each batch exactly as the student does (after augmentation). The student",
      "is exported as strata train exports a model (OUT/model.onnx, metrics.json, report.html,",
      "training-log.jsonl) with the distillation recorded in its provenance."
    })
public final class DistillCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--teacher",
      required = true,
      paramLabel = "T.onnx",
      description = "The teacher: a classifier taking the student's preprocessed input.")
  Path teacher;

  @Option(
      names = "--student",
      required = true,
      paramLabel = "SPEC",
      description = "The student's training spec (YAML or JSON).")
  Path student;

  @Option(names = "--data", required = true, paramLabel = "DATA", description = "The data set.")
  Path data;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
  Path out;

  @Option(
      names = "--epochs",
      paramLabel = "N",
      description = "Override the student spec's epoch count.")
  Integer epochs;

  @Option(names = "--quiet", description = "No progress bar.")
  boolean quiet;

  @Mixin DistillationOptions distillationOptions;

  @Mixin CommonOptions common;

  @Mixin PublishOptions publishing;

  @Override
  public Integer call() throws Exception {
    PrintWriter w = spec.commandLine().getOut();
    TrainingSpec s = TrainingSpec.read(student);
    PublishOptions.Publisher publisher = publishing.publisher("distilled");
    if (epochs != null) {
      s = s.withEpochs(epochs);
    }
    if (s.task() != TrainingSpec.Task.CLASSIFICATION) {
      throw StrataException.invalid("distill: the student %s is not a classifier", s.name());
    }
    ModelProto t = OnnxModels.read(teacher);
    Map<String, String> meta = OnnxModels.metadata(t);
    // a Strata teacher's own fitted pipeline prepares the data for both, so that the teacher sees
    // what it was trained on; another teacher gets the student's fitted pipeline
    Optional<FittedPipeline> fitted = FittedPipeline.fromModelMetadata(meta);
    List<String> classes = DataSources.load(data, s).train().classes();
    List<String> labels = ModelLabels.read(teacher.toString(), meta);
    if (!labels.isEmpty() && !labels.equals(classes)) {
      throw StrataException.invalid(
          "the teacher's classes %s are not the data's %s", labels, classes);
    }
    long[] sample = fitted.map(FittedPipeline::featureShape).orElseGet(() -> studentShape(t));
    long studentParams = Networks.parameterCount(s.model().layers(), sample);
    long teacherParams = teacherParameters(t, meta);
    int threads = common.config().intraOpThreads();
    w.printf(
        Locale.ROOT,
        "distilling %s (%,d parameters) into %s (%,d parameters, %.1f%%), T %s, alpha %s%n",
        teacher.getFileName(),
        teacherParams,
        s.name(),
        studentParams,
        100.0 * studentParams / teacherParams,
        distillationOptions.temperature,
        distillationOptions.alpha);
    TrainingWorkflow.Result r;
    try (OnnxTeacher onnx = new OnnxTeacher(t, sample, classes.size(), threads)) {
      Distillation d = distillationOptions.of(onnx);
      TrainingListener progress = quiet ? new TrainingListener() {} : ProgressBar.onStderr();
      r =
          new TrainingWorkflow(common.config(), Clock.systemUTC())
              .run(
                  s,
                  data,
                  out,
                  new TrainingWorkflow.Options(
                      false, Optional.empty(), Optional.empty(), 0, progress),
                  fitted,
                  Optional.of(d));
    }
    ObjectNode provenance = Delivery.JSON.createObjectNode();
    provenance.put("method", "distill");
    distillationOptions.describe(provenance);
    provenance.put("teacher_parameters", teacherParams);
    provenance.put("student_parameters", r.parameterCount());
    provenance
        .putObject("teacher")
        .put("file", String.valueOf(teacher.getFileName()))
        .put("sha256", dev.strata.api.CloudApiClient.sha256(teacher));
    ModelProto m = OnnxModels.read(r.model());
    m = OnnxModels.withMetadata(m, Map.of(QuantizeCommand.COMPRESSION_KEY, provenance.toString()));
    Path tmp = Files.createTempFile(out, ".model.onnx", ".tmp");
    try {
      OnnxModels.write(m, tmp);
      AtomicFiles.moveIntoPlace(tmp, r.model());
    } finally {
      Files.deleteIfExists(tmp);
    }
    double studentAccuracy = r.evaluation().classification().orElseThrow().accuracy();
    w.printf(Locale.ROOT, "student accuracy: %.2f%%%n", studentAccuracy * 100);
    if (fitted.isPresent()) {
      double teacherAccuracy =
          OnnxModelEvaluator.evaluate(teacher, data, threads)
              .classification()
              .orElseThrow()
              .accuracy();
      w.printf(Locale.ROOT, "teacher accuracy: %.2f%%%n", teacherAccuracy * 100);
    }
    w.printf("wrote %s, %s, %s%n", r.model(), r.metrics(), r.report());
    if (publisher != null) {
      Map<String, Double> metrics = new java.util.LinkedHashMap<>();
      metrics.put("accuracy", studentAccuracy);
      metrics.put("parameters", (double) r.parameterCount());
      metrics.put("bytes", (double) Files.size(r.model()));
      Map<String, String> prov = new java.util.LinkedHashMap<>();
      prov.put("compression", "distill");
      prov.put("temperature", Double.toString(distillationOptions.temperature));
      prov.put("alpha", Double.toString(distillationOptions.alpha));
      prov.put("teacher_sha256", provenance.at("/teacher/sha256").asText());
      publisher.publish(w, r.model(), metrics, prov);
    }
    return 0;
  }

  /**
   * The teacher's trainable parameters as its provenance records them (a Strata model), else the
   * elements of its float initializers (which also count e.g. batch-norm statistics).
   */
  private static long teacherParameters(ModelProto t, Map<String, String> meta) {
    String prov = meta.get(ModelMetadataKeys.PROVENANCE);
    if (prov != null) {
      var n = PipelineJson.readTree(prov, "provenance").path("parameter_count");
      if (n.canConvertToLong() && n.asLong() > 0) {
        return n.asLong();
      }
    }
    return t.getGraph().getInitializerList().stream()
        .filter(Initializers::isFloat)
        .mapToLong(x -> Initializers.size(Initializers.dims(x)))
        .sum();
  }

  /** The teacher's per-sample input shape, for a teacher without Strata metadata. */
  private long[] studentShape(ModelProto t) {
    long[] dims =
        t.getGraph().getInput(0).getType().getTensorType().getShape().getDimList().stream()
            .mapToLong(d -> d.hasDimValue() ? d.getDimValue() : -1)
            .toArray();
    long[] s = Arrays.copyOfRange(dims, 1, dims.length);
    if (Arrays.stream(s).anyMatch(x -> x <= 0)) {
      throw StrataException.invalid(
          "the teacher's input %s has no fixed sample shape", Arrays.toString(dims));
    }
    return s;
  }
}
