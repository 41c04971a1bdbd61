package dev.strata.bench.serving;

import dev.strata.core.ModelStatistics;
import dev.strata.protocol.client.ClientConfig;
import dev.strata.protocol.client.StrataClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Option;

/**
 * What {@link WrkLoad} and {@link H2Load} share: closed-loop load from a tool outside the JVM that
 * posts one body file over and over. A warm-up run, then {@code --windows} runs of {@code
 * --window-seconds}, with the model's statistics and the server's CPU time read around the measured
 * runs.
 *
 * @param <R> what one run of the tool measured
 */
abstract class ExternalLoad<R> implements Callable<Integer> {
  @Option(names = "--host", defaultValue = "127.0.0.1")
  String host;

  @Option(names = "--http-port", defaultValue = "8000", description = "REST (and statistics).")
  int httpPort;

  @Option(names = "--model", required = true)
  String model;

  @Option(
      names = "--connections",
      defaultValue = "16",
      description = "Clients, one connection each.")
  int connections;

  @Option(names = "--warmup", defaultValue = "15", description = "Seconds before measuring.")
  int warmup;

  @Option(names = "--windows", defaultValue = "3")
  int windows;

  @Option(names = "--window-seconds", defaultValue = "5")
  int windowSeconds;

  @Option(names = "--server-pid", defaultValue = "0", description = "Report its CPU per request.")
  long serverPid;

  /** Checks the options before anything runs. */
  void check() {}

  /** Writes the body the tool posts. */
  abstract void writeBody(Path file) throws IOException;

  /** Runs the tool once for {@code seconds} over the body. */
  abstract R run(Path bodyFile, int seconds) throws IOException, InterruptedException;

  /** Prints the one JSON line of the measured runs. */
  abstract void report(List<R> runs, long cpuNanos, ModelStatistics start, ModelStatistics end);

  @Override
  public final Integer call() throws Exception {
    check();
    Path bodyFile = Files.createTempFile("strata-load-", ".body");
    try (StrataClient control = StrataClient.rest(ClientConfig.of(host, httpPort))) {
      writeBody(bodyFile);
      if (warmup > 0) {
        run(bodyFile, warmup);
      }
      ModelStatistics start = control.statistics(Optional.of(model), Optional.empty()).getFirst();
      ProcessCpu cpu = serverPid > 0 ? new ProcessCpu(serverPid) : null;
      long cpuStart = cpu == null ? 0 : cpu.nanos();
      List<R> runs = new ArrayList<>();
      for (int w = 0; w < windows; w++) {
        runs.add(run(bodyFile, windowSeconds));
      }
      long cpuNanos = cpu == null ? 0 : cpu.nanos() - cpuStart;
      ModelStatistics end = control.statistics(Optional.of(model), Optional.empty()).getFirst();
      report(runs, cpuNanos, start, end);
    } finally {
      Files.deleteIfExists(bodyFile);
    }
    return 0;
  }

  /**
   * The JSON fields of the runs' rates: {@code "req_per_s"} (their mean), {@code "windows"} (each
   * run's) and {@code "spread"} ((max − min) / mean).
   */
  static String rates(List<Double> perRun) {
    double sum = 0;
    double min = Double.MAX_VALUE;
    double max = 0;
    List<String> each = new ArrayList<>();
    for (double t : perRun) {
      each.add(String.format(Locale.ROOT, "%.1f", t));
      sum += t;
      min = Math.min(min, t);
      max = Math.max(max, t);
    }
    double mean = perRun.isEmpty() ? 0 : sum / perRun.size();
    return String.format(
        Locale.ROOT,
        "\"req_per_s\":%.1f,\"windows\":[%s],\"spread\":%.3f",
        mean,
        String.join(",", each),
        mean == 0 ? 0 : (max - min) / mean);
  }

  /** Inferences per execution between two statistics. */
  static double meanBatch(ModelStatistics start, ModelStatistics end) {
    long executions = end.executionCount() - start.executionCount();
    return executions == 0
        ? 0
        : (double) (end.inferenceCount() - start.inferenceCount()) / executions;
  }

  /** A tool's exit status and output lines. */
  record Output(int exit, List<String> lines) {
    String text() {
      return String.join("\n", lines);
    }
  }

  /**
   * Runs a tool to its end, its stderr merged into its output.
   *
   * @param install how to install it, for the message when it cannot be started
   */
  static Output exec(ProcessBuilder pb, String install) throws IOException, InterruptedException {
    Process p;
    try {
      p = pb.redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IOException(
          "cannot run '" + pb.command().getFirst() + "' (" + e.getMessage() + "); " + install, e);
    }
    List<String> lines = new ArrayList<>();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        lines.add(line);
      }
    }
    return new Output(p.waitFor(), lines);
  }
}
