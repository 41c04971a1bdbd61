package dev.strata.cli.demo;

import static java.util.Objects.requireNonNull;

import dev.strata.control.ConfidenceMeasure;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * Runs {@code strata demo} for the command: resolves the options into a {@link DemoConfig}, sends
 * the components' logs to the data directory, runs the {@link Demo}, then serves until the JVM is
 * asked to stop (Ctrl-C), or stops at once.
 */
public final class DemoRunner {
  /**
   * The command's options.
   *
   * @param dataDir empty for {@code ~/.strata/demo}
   * @param models empty to find {@code models/} from the working directory or the installation
   * @param data empty to find {@code data/fashion-mnist-subset} likewise
   * @param targetAccuracy with {@code targetEdgeShare}: at most one; neither for the cloud model's
   *     accuracy
   * @param adminTokenFile empty for {@code DATA-DIR/admin-token}, made on the first run
   * @param keepServing whether to serve until Ctrl-C after the summary
   */
  public record Options(
      Optional<Path> dataDir,
      Optional<Path> models,
      Optional<Path> data,
      int cloudPort,
      int images,
      int prompts,
      int concurrency,
      int warmup,
      ConfidenceMeasure measure,
      Optional<Double> edgeShare,
      Optional<Double> targetAccuracy,
      long seed,
      Optional<Path> adminTokenFile,
      boolean keepServing,
      String edgeVariant) {
    public Options {
      if (!edgeVariant.equals("edge") && !edgeVariant.equals("int8")) {
        throw new IllegalArgumentException(
            "--edge-variant: " + edgeVariant + " (expected: edge or int8)");
      }
      requireNonNull(dataDir, "dataDir");
      requireNonNull(models, "models");
      requireNonNull(data, "data");
      requireNonNull(measure, "measure");
      requireNonNull(edgeShare, "edgeShare");
      requireNonNull(targetAccuracy, "targetAccuracy");
      requireNonNull(adminTokenFile, "adminTokenFile");
    }
  }

  private DemoRunner() {}

  /**
   * Runs the demo; returns 0 once it has stopped (with {@code keepServing}: only when the JVM shuts
   * down).
   *
   * @param terminal whether {@code out} is a terminal (progress redraws one line)
   */
  public static int run(Options options, PrintWriter out, boolean terminal) throws Exception {
    DemoConfig config = config(options);
    boolean quiet = System.getenv("STRATA_LOG_LEVEL") == null;
    try (AutoCloseable lock = DataDirs.lock(config.dataDir());
        DemoLog log = DemoLog.start(config.logFile(), quiet)) {
      Demo demo = new Demo(config, out, terminal, Clock.systemUTC());
      CountDownLatch stopped = new CountDownLatch(1);
      Thread hook =
          new Thread(
              () -> {
                out.println();
                out.println("strata demo: stopping");
                out.flush();
                demo.close();
                stopped.countDown();
              },
              "strata-demo-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      try {
        demo.run();
      } catch (Exception | Error e) {
        release(hook);
        demo.close();
        throw e;
      }
      demo.printEndpoints(options.keepServing());
      if (!options.keepServing()) {
        release(hook);
        demo.close();
        return 0;
      }
      stopped.await();
      return 0;
    }
  }

  private static void release(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or about to: it closes the demo itself
    }
  }

  static DemoConfig config(Options o) throws IOException {
    CascadeTarget target;
    if (o.targetAccuracy().isPresent() && o.edgeShare().isPresent()) {
      throw new IllegalArgumentException("--edge-share and --target-accuracy exclude each other");
    } else if (o.targetAccuracy().isPresent()) {
      target = new CascadeTarget.Accuracy(o.targetAccuracy().get());
    } else {
      target = new CascadeTarget.EdgeShare(o.edgeShare().orElse(CascadeTarget.DEFAULT_EDGE_SHARE));
    }
    Optional<String> token = Optional.empty();
    if (o.adminTokenFile().isPresent()) {
      Path file = o.adminTokenFile().get();
      if (!Files.isReadable(file)) {
        throw new IllegalArgumentException(
            "--admin-token-file: " + file + " is not a readable file");
      }
      token = Optional.of(Files.readString(file, StandardCharsets.UTF_8).strip());
    }
    var starts = Locations.defaultStarts();
    return new DemoConfig(
        o.dataDir().orElseGet(Demo::dataDirDefault),
        Locations.models(o.models(), starts),
        Locations.dataSet(o.data(), starts),
        o.cloudPort(),
        o.images(),
        o.prompts(),
        o.concurrency(),
        o.warmup(),
        o.measure(),
        target,
        o.seed(),
        token,
        o.edgeVariant().equals("int8"));
  }
}
