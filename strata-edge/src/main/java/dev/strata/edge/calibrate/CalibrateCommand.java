package dev.strata.edge.calibrate;

import dev.strata.control.ConfidenceMeasure;
import dev.strata.control.InferencePolicy;
import dev.strata.control.Json;
import dev.strata.core.AtomicFiles;
import dev.strata.edge.Confidence;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code strata calibrate}: picks the cascade threshold for a pair of models from a labelled
 * validation set and a target, shows the trade-off, and prints the policy to deploy.
 */
@Command(
    name = "calibrate",
    mixinStandardHelpOptions = true,
    description = {
      "Choose the cascade threshold of an edge model backed by a cloud model.",
      "",
      "Runs both models over a labelled validation set, computes for every threshold the share"
          + " answered on the edge and the cascade's accuracy, picks the threshold for"
          + " --target-edge-share or --target-accuracy, prints the trade-off table and the policy"
          + " JSON to deploy, and draws the curve as SVG. Exit status 0 when the target is"
          + " reached, 1 when not (the closest threshold is shown)."
    })
public final class CalibrateCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  static final class Data {
    @Option(
        names = "--images",
        paramLabel = "FILE",
        description = "IDX examples (e.g. t10k-images-idx3-ubyte[.gz]); with --labels.")
    Path images;

    @Option(
        names = "--jsonl",
        paramLabel = "FILE",
        description = "JSON lines: {\"input\": [...], \"label\": n} per line.")
    Path jsonl;

    @Option(
        names = "--prompts",
        paramLabel = "FILE",
        description =
            "For language models (GGUF files as --edge-model and --cloud-model): JSON lines"
                + " {\"prompt\": \"...\", \"reference\": \"...\"}; quality is the greedy"
                + " answer's word accuracy against the reference (see --words, --exact-match).")
    Path prompts;
  }

  @Option(
      names = "--test-prompts",
      paramLabel = "FILE",
      description =
          "With --prompts: held-out prompts on which the chosen threshold is then checked (edge"
              + " share and quality beside edge only and cloud only).")
  Path testPrompts;

  @Option(
      names = "--words",
      defaultValue = "4",
      description = "With --prompts: reference words compared (default: ${DEFAULT-VALUE}).")
  int words;

  @Option(
      names = "--exact-match",
      description = "With --prompts: quality is 1 when all compared words match, else 0.")
  boolean exactMatch;

  @Option(
      names = "--max-tokens",
      paramLabel = "N",
      description = "With --prompts: tokens generated per answer (default: 4 per word + 4).")
  Integer maxTokens;

  @Option(
      names = "--threads",
      defaultValue = "2",
      description = "With --prompts: llama.cpp threads per model (default: ${DEFAULT-VALUE}).")
  int threads;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Data data;

  @Option(names = "--labels", paramLabel = "FILE", description = "IDX labels for --images.")
  Path labels;

  @Option(
      names = "--scale",
      paramLabel = "N",
      description = "Divide every input value by N (default: 255 for IDX bytes, else 1).")
  Double scale;

  @Option(
      names = "--edge-model",
      required = true,
      paramLabel = "ONNX|URL",
      description = "The edge model: an ONNX file or http://host:port/v2/models/NAME.")
  String edgeModel;

  @Option(
      names = "--cloud-model",
      required = true,
      paramLabel = "ONNX|URL",
      description = "The cloud model, likewise.")
  String cloudModel;

  @Option(
      names = "--edge-model-name",
      paramLabel = "NAME",
      description =
          "The edge model's name in the report (default: from --edge-model: its model directory,"
              + " models/NAME/1/model.onnx, the file's name, or the URL's model).")
  String edgeModelName;

  @Option(
      names = "--cloud-model-name",
      paramLabel = "NAME",
      description =
          "The cloud model's name in the report and the policy printed (default: from"
              + " --cloud-model, likewise).")
  String cloudModelName;

  @Option(
      names = "--measure",
      converter = MeasureConverter.class,
      description =
          "max-probability, margin or entropy for classifiers (default: max-probability);"
              + " agreement for language models (the default and only one with --prompts).")
  ConfidenceMeasure measure;

  static final class Target {
    @Option(
        names = "--target-edge-share",
        paramLabel = "S",
        description = "Keep at least this share (0-1) on the edge, as accurately as possible.")
    Double edgeShare;

    @Option(
        names = {"--target-accuracy", "--target-quality"},
        paramLabel = "A",
        description =
            "Reach this accuracy (0-1; a language model's quality) with as much as possible on the"
                + " edge.")
    Double accuracy;

    @Option(
        names = "--max-relative-loss",
        paramLabel = "L",
        description =
            "Lose at most this share (0-1) of the cloud model's accuracy or quality, with as much"
                + " as possible on the edge (0.02: at least 98% of cloud-only).")
    Double relativeLoss;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Target target;

  @Option(
      names = "--chart",
      defaultValue = "calibration.svg",
      paramLabel = "FILE",
      description = "Where the SVG chart goes (default: ${DEFAULT-VALUE}).")
  Path chart;

  @Option(names = "--limit", paramLabel = "N", description = "Use only the first N examples.")
  Integer limit;

  @Option(
      names = "--batch-size",
      defaultValue = "64",
      description = "Examples per inference (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Override
  public Integer call() throws Exception {
    if (data.prompts != null) {
      if (measure != null && measure != ConfidenceMeasure.AGREEMENT) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--prompts takes --measure agreement (language models)");
      }
      return languageModels();
    }
    if (testPrompts != null) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--test-prompts needs --prompts");
    }
    if (measure == null) {
      measure = ConfidenceMeasure.MAX_PROBABILITY;
    } else if (measure.forLanguageModels()) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--measure agreement is for language models (--prompts)");
    }
    LabelledSet set = load();
    Path work = Files.createTempDirectory("strata-calibrate-");
    List<double[]> edge;
    List<double[]> cloud;
    String edgeName;
    String cloudName;
    try (ModelScorer e = ModelScorer.open(edgeModel, work);
        ModelScorer c = ModelScorer.open(cloudModel, work)) {
      edgeName = edgeModelName != null ? edgeModelName : modelName(edgeModel);
      cloudName = cloudModelName != null ? cloudModelName : modelName(cloudModel);
      edge = e.probabilities(set, batchSize);
      cloud = c.probabilities(set, batchSize);
    } finally {
      deleteTree(work);
    }
    int n = set.size();
    double[] scores = new double[n];
    boolean[] edgeRight = new boolean[n];
    boolean[] cloudRight = new boolean[n];
    for (int i = 0; i < n; i++) {
      scores[i] = Confidence.score(measure, edge.get(i));
      edgeRight[i] = argmax(edge.get(i)) == set.labels()[i];
      cloudRight[i] = argmax(cloud.get(i)) == set.labels()[i];
    }
    Calibration cal = Calibration.of(measure, scores, edgeRight, cloudRight);
    return report(cal, n, "examples", edgeName, cloudName, "accuracy", "accurate").targetMet()
        ? 0
        : 1;
  }

  /** The language-model cascade: GGUF files, prompts with references, the AGREEMENT measure. */
  private int languageModels() throws Exception {
    measure = ConfidenceMeasure.AGREEMENT;
    PromptSet set = PromptSet.read(data.prompts);
    set = limit != null ? set.limit(limit) : set;
    Optional<PromptSet> test =
        testPrompts == null ? Optional.empty() : Optional.of(PromptSet.read(testPrompts));
    int tokens = maxTokens != null ? maxTokens : 4 * words + 4;
    String edgeName = edgeModelName != null ? edgeModelName : modelName(edgeModel);
    String cloudName = cloudModelName != null ? cloudModelName : modelName(cloudModel);
    List<LanguageModelScorer.Answer> edge;
    List<LanguageModelScorer.Answer> cloud;
    List<LanguageModelScorer.Answer> edgeTest = List.of();
    List<LanguageModelScorer.Answer> cloudTest = List.of();
    try (LanguageModelScorer e = LanguageModelScorer.open(edgeModel, tokens, threads);
        LanguageModelScorer c = LanguageModelScorer.open(cloudModel, tokens, threads)) {
      edge = e.answers(set, true);
      cloud = c.answers(set, false);
      if (test.isPresent()) {
        edgeTest = e.answers(test.get(), true);
        cloudTest = c.answers(test.get(), false);
      }
    }
    Calibration cal = qualities(set, edge, cloud);
    String what = (exactMatch ? "exact match" : "word accuracy") + " over " + words + " words";
    spec.commandLine().getOut().printf(Locale.ROOT, "quality: %s%n", what);
    Calibration.Choice choice =
        report(cal, set.size(), "prompts", edgeName, cloudName, "quality", "quality");
    if (test.isPresent()) {
      Calibration held = qualities(test.get(), edgeTest, cloudTest);
      double t = choice.point().threshold();
      CurvePoint at = held.at(t);
      PrintWriter out = spec.commandLine().getOut();
      out.printf(
          Locale.ROOT,
          "%nheld-out prompts (%d): edge only %.2f%%, cloud only %.2f%%; cascade at threshold"
              + " %.6f: %.1f%% on the edge (%.1f%% fewer cloud calls), quality %.2f%% (%.1f%% of"
              + " cloud only)%n",
          test.get().size(),
          held.edgeAccuracy() * 100,
          held.cloudAccuracy() * 100,
          t,
          at.edgeShare() * 100,
          at.edgeShare() * 100,
          at.accuracy() * 100,
          held.cloudAccuracy() == 0 ? 100 : at.accuracy() / held.cloudAccuracy() * 100);
      out.flush();
    }
    return choice.targetMet() ? 0 : 1;
  }

  private Calibration qualities(
      PromptSet set,
      List<LanguageModelScorer.Answer> edge,
      List<LanguageModelScorer.Answer> cloud) {
    int n = set.size();
    double[] scores = new double[n];
    double[] edgeQ = new double[n];
    double[] cloudQ = new double[n];
    for (int i = 0; i < n; i++) {
      String ref = set.prompts().get(i).reference();
      scores[i] = edge.get(i).score();
      edgeQ[i] = PromptSet.quality(edge.get(i).text(), ref, words, exactMatch);
      cloudQ[i] = PromptSet.quality(cloud.get(i).text(), ref, words, exactMatch);
    }
    return Calibration.ofQuality(measure, scores, edgeQ, cloudQ);
  }

  /** Prints the trade-off and the policy, draws the chart; the choice for the target. */
  private Calibration.Choice report(
      Calibration cal,
      int n,
      String unit,
      String edgeName,
      String cloudName,
      String quantity,
      String adjective)
      throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    Calibration.Choice choice =
        target.edgeShare != null
            ? cal.forEdgeShare(target.edgeShare)
            : target.accuracy != null
                ? cal.forAccuracy(target.accuracy)
                : cal.forAccuracy(cal.cloudAccuracy() * (1 - target.relativeLoss));

    out.printf(Locale.ROOT, "validation set: %d %s; measure %s%n", n, unit, name(measure));
    out.printf(
        Locale.ROOT, "edge  %-28s %s %6.2f%%%n", edgeName, quantity, cal.edgeAccuracy() * 100);
    out.printf(
        Locale.ROOT, "cloud %-28s %s %6.2f%%%n%n", cloudName, quantity, cal.cloudAccuracy() * 100);
    printTable(out, cal, choice.point(), quantity);
    String targetText =
        target.edgeShare != null
            ? String.format(Locale.ROOT, "edge share >= %.1f%%", target.edgeShare * 100)
            : target.accuracy != null
                ? String.format(Locale.ROOT, "%s >= %.2f%%", quantity, target.accuracy * 100)
                : String.format(
                    Locale.ROOT,
                    "%s >= %.1f%% of cloud only (%.2f%%)",
                    quantity,
                    (1 - target.relativeLoss) * 100,
                    cal.cloudAccuracy() * (1 - target.relativeLoss) * 100);
    CurvePoint p = choice.point();
    out.printf(
        Locale.ROOT,
        "%nchosen for %s: threshold %.6f -> %.1f%% on the edge, %.2f%% %s, %d of %d to the cloud%s%n",
        targetText,
        p.threshold(),
        p.edgeShare() * 100,
        p.accuracy() * 100,
        adjective,
        p.cloudCalls(),
        n,
        choice.targetMet() ? "" : " (TARGET NOT REACHED: the closest threshold is shown)");
    InferencePolicy policy =
        new InferencePolicy.Cascade(measure, round(p.threshold()), Optional.of(cloudName));
    out.println();
    out.println("policy to deploy (DeploymentSpec \"policy\"):");
    out.println(Json.write(policy));
    String title =
        String.format(
            Locale.ROOT,
            "Cascade %s -> %s (%s, %d %s)",
            edgeName,
            cloudName,
            name(measure),
            n,
            unit);
    AtomicFiles.write(
        chart,
        SvgChart.render(cal, p, title, quantity, adjective).getBytes(StandardCharsets.UTF_8));
    out.println("chart: " + chart.toAbsolutePath());
    out.flush();
    return choice;
  }

  private LabelledSet load() throws Exception {
    LabelledSet set;
    if (data.images != null) {
      if (labels == null) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--images needs --labels");
      }
      set = Datasets.idx(data.images, labels, scale != null ? scale : 255);
    } else {
      set = Datasets.jsonLines(data.jsonl, scale != null ? scale : 1);
    }
    return limit != null ? set.limit(limit) : set;
  }

  /** About 11 rows, evenly over the edge share, plus the chosen one. */
  private static void printTable(
      PrintWriter out, Calibration cal, CurvePoint chosen, String quantity) {
    List<CurvePoint> rows = new ArrayList<>();
    for (int i = 10; i >= 0; i--) {
      double share = i / 10.0;
      CurvePoint nearest = null;
      for (CurvePoint p : cal.curve()) {
        if (nearest == null
            || Math.abs(p.edgeShare() - share) < Math.abs(nearest.edgeShare() - share)) {
          nearest = p;
        }
      }
      if (!rows.contains(nearest)) {
        rows.add(nearest);
      }
    }
    if (!rows.contains(chosen)) {
      rows.add(chosen);
    }
    rows.sort((a, b) -> Double.compare(b.edgeShare(), a.edgeShare()));
    out.printf(Locale.ROOT, "  threshold   edge share   %8s   cloud calls%n", quantity);
    for (CurvePoint p : rows) {
      out.printf(
          Locale.ROOT,
          "  %9.6f   %9.1f%%   %7.2f%%   %11d%s%n",
          p.threshold(),
          p.edgeShare() * 100,
          p.accuracy() * 100,
          p.cloudCalls(),
          p.equals(chosen) ? "   <- chosen" : "");
    }
  }

  private static double round(double t) {
    return Math.round(t * 1e6) / 1e6;
  }

  private static int argmax(double[] p) {
    int best = 0;
    for (int i = 1; i < p.length; i++) {
      if (p[i] > p[best]) {
        best = i;
      }
    }
    return best;
  }

  private static String name(ConfidenceMeasure m) {
    return m.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * The name a model given as a file or a URL goes by: the model's directory for a file in a
   * repository ({@code models/NAME/1/model.onnx} or {@code models/NAME/model.gguf}), else the
   * file's name without {@code .onnx} or {@code .gguf}; for {@code
   * http://host:port/v2/models/NAME}, NAME.
   */
  static String modelName(String model) {
    if (model.startsWith("http://") || model.startsWith("https://")) {
      String path = URI.create(model).getPath();
      String s = path == null ? "" : path.replaceAll("/+$", "");
      return s.substring(s.lastIndexOf('/') + 1);
    }
    Path file = Path.of(model).toAbsolutePath().normalize();
    String fileName = file.getFileName() == null ? model : file.getFileName().toString();
    Path dir = file.getParent();
    boolean repositoryFile = fileName.equals("model.onnx") || fileName.equals("model.gguf");
    if (repositoryFile && dir != null && dir.getFileName() != null) {
      boolean versionDir = dir.getFileName().toString().matches("[0-9]+");
      Path named = versionDir ? dir.getParent() : dir;
      if (named != null && named.getFileName() != null) {
        return named.getFileName().toString();
      }
    }
    return fileName.endsWith(".onnx") || fileName.endsWith(".gguf")
        ? fileName.substring(0, fileName.length() - 5)
        : fileName;
  }

  private static void deleteTree(Path dir) {
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException ignored) {
      // a temporary directory left behind is harmless
    }
  }

  /** {@code max-probability}, {@code margin}, {@code entropy}, in any case, - or _. */
  public static final class MeasureConverter
      implements CommandLine.ITypeConverter<ConfidenceMeasure> {
    @Override
    public ConfidenceMeasure convert(String value) {
      try {
        return ConfidenceMeasure.valueOf(value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(
            "'"
                + value
                + "' is not a measure (expected: max-probability, margin, entropy or agreement)");
      }
    }
  }
}
