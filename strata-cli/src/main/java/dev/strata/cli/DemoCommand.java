package dev.strata.cli;

import dev.strata.cli.demo.DemoRunner;
import dev.strata.control.ConfidenceMeasure;
import dev.strata.edge.calibrate.CalibrateCommand;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code strata demo}: the whole platform in one command, on loopback. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Run a cloud and two edge agents on loopback and measure a calibrated cascade.",
      "",
      "In this one process: the reference models are registered (fashion-cnn for the",
      "cloud, fashion-edge for the edges), a cascade is calibrated on half of the",
      "shipped Fashion-MNIST test images and deployed, the other half is streamed",
      "through both edges, and the accuracy and latency of the edge alone, the cloud",
      "alone and the cascade are printed. Then it serves, URLs printed, until Ctrl-C",
      "(or stops at once: --no-wait). A second run reuses the data directory.",
      ""
    })
public final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description = "Where the demo keeps its state (default: ~/.strata/demo).")
  Path dataDir;

  @Option(
      names = "--no-wait",
      description = "Exit after the summary instead of serving until Ctrl-C (for scripts).")
  boolean noWait;

  @Option(
      names = "--models",
      paramLabel = "DIR",
      description =
          "The reference models: DIR/fashion-cnn/model.onnx and DIR/fashion-edge/model.onnx"
              + " (default: models/ of the repository or installation).")
  Path models;

  @Option(
      names = "--data",
      paramLabel = "DIR",
      description =
          "The Fashion-MNIST test images and labels, IDX .gz (default:"
              + " data/fashion-mnist-subset of the repository or installation).")
  Path data;

  @Option(
      names = "--images",
      paramLabel = "N",
      defaultValue = "0",
      description = "Measure on the first N held-out images only (default: all of them, 500).")
  int images;

  @Option(
      names = "--prompts",
      paramLabel = "N",
      defaultValue = "40",
      description =
          "Held-out prompts streamed through the language-model cascade (default:"
              + " ${DEFAULT-VALUE}; 0 skips the language-model step).")
  int prompts;

  @Option(
      names = "--concurrency",
      paramLabel = "N",
      defaultValue = "2",
      description = "Clients sending at once (default: ${DEFAULT-VALUE}, one per edge).")
  int concurrency;

  @Option(
      names = "--warmup",
      paramLabel = "N",
      defaultValue = "50",
      description =
          "Calibration images sent down every path before measuring (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(
      names = "--cloud-port",
      paramLabel = "PORT",
      defaultValue = "0",
      description = "The cloud's HTTP port (default: a free one; the edges always take free ones).")
  int cloudPort;

  @Option(
      names = "--measure",
      defaultValue = "max-probability",
      paramLabel = "M",
      converter = CalibrateCommand.MeasureConverter.class,
      description =
          "Cascade confidence: max-probability, margin or entropy (default: ${DEFAULT-VALUE}).")
  ConfidenceMeasure measure;

  static final class Target {
    @Option(
        names = "--edge-share",
        paramLabel = "S",
        description =
            "Calibrate the threshold that keeps this share (0-1) of the calibration images on the"
                + " edge (default: 0.8).")
    Double edgeShare;

    @Option(
        names = "--target-accuracy",
        paramLabel = "A",
        description =
            "Instead: the largest edge share whose cascade reaches this accuracy (0-1) on the"
                + " calibration images.")
    Double accuracy;
  }

  @ArgGroup(exclusive = true)
  Target target;

  @Option(
      names = "--edge-variant",
      paramLabel = "V",
      defaultValue = "edge",
      description =
          "edge: the separately trained edge model; int8: also quantize the cloud model"
              + " (strata compress quantize), deploy that to the edges with its own calibrated"
              + " cascade, and measure both edge variants side by side (default: ${DEFAULT-VALUE}).")
  String edgeVariant;

  @Option(
      names = "--seed",
      paramLabel = "N",
      defaultValue = "1",
      description = "Seeds the split of the test images into calibration and measured halves.")
  long seed;

  @Option(
      names = "--admin-token-file",
      paramLabel = "FILE",
      description =
          "The cloud's admin token (default: DATA-DIR/admin-token, made on the first run, mode 0600).")
  Path adminTokenFile;

  @Override
  public Integer call() throws Exception {
    DemoRunner.Options options =
        new DemoRunner.Options(
            Optional.ofNullable(dataDir),
            Optional.ofNullable(models),
            Optional.ofNullable(data),
            cloudPort,
            images,
            prompts,
            concurrency,
            warmup,
            measure,
            target == null ? Optional.empty() : Optional.ofNullable(target.edgeShare),
            target == null ? Optional.empty() : Optional.ofNullable(target.accuracy),
            seed,
            Optional.ofNullable(adminTokenFile),
            !noWait,
            edgeVariant);
    return DemoRunner.run(options, spec.commandLine().getOut(), System.console() != null);
  }
}
