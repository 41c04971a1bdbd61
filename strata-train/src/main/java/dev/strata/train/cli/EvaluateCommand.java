package dev.strata.train.cli;

import dev.strata.core.AtomicFiles;
import dev.strata.train.eval.EvaluationReport;
import dev.strata.train.eval.OnnxModelEvaluator;
import dev.strata.train.eval.TrainJson;
import dev.strata.train.report.HtmlReport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code strata evaluate}: evaluates an exported model on labelled data. */
@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    description = {
      "Evaluate an exported ONNX model on a data set (its test part when it has one) in ONNX",
      "Runtime, preprocessing raw data with the fitted pipeline stored in the model, as serving",
      "does. Writes the metrics as JSON, and as a self-contained HTML page with --report."
    })
public final class EvaluateCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, paramLabel = "MODEL", description = "model.onnx.")
  Path model;

  @Option(names = "--data", required = true, paramLabel = "DATA", description = "Data set.")
  Path data;

  @Option(
      names = "--json",
      paramLabel = "FILE",
      description =
          "Where to write the metrics JSON (default: metrics.json beside --report, or"
              + " standard output).")
  Path json;

  @Option(names = "--report", paramLabel = "FILE", description = "Write an HTML report here.")
  Path report;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "ONNX Runtime intra-op threads (default: all cores).")
  Integer threads;

  @Override
  public Integer call() throws Exception {
    int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
    EvaluationReport r = OnnxModelEvaluator.evaluate(model, data, t);
    String text = TrainJson.write(r);
    Path jsonOut = json;
    if (jsonOut == null && report != null) {
      Path parent = report.toAbsolutePath().getParent();
      jsonOut = parent.resolve("metrics.json");
    }
    if (jsonOut != null) {
      AtomicFiles.write(jsonOut, text.getBytes(StandardCharsets.UTF_8));
    } else {
      System.out.println(text);
    }
    if (report != null) {
      AtomicFiles.write(report, HtmlReport.render(r).getBytes(StandardCharsets.UTF_8));
    }
    System.err.printf(
        Locale.ROOT,
        "%s on %s: %s %.4f (95%% CI %.4f-%.4f)%s%n",
        r.model(),
        r.data(),
        r.classification().isPresent() ? "accuracy" : "rmse",
        r.mainMetric().estimate(),
        r.mainMetric().lower(),
        r.mainMetric().upper(),
        jsonOut != null ? " -> " + jsonOut : "");
    return 0;
  }
}
