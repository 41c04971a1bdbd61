package dev.strata.bench.serving;

import dev.strata.core.InferenceRequest;
import dev.strata.protocol.client.ClientConfig;
import dev.strata.protocol.client.StrataClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Unloads and reloads a model many times through the repository API, running one inference after
 * each load, and samples the server's resident set size: native memory that unloading does not give
 * back shows as growth. Prints one JSON line.
 */
@Command(
    name = "load-unload",
    mixinStandardHelpOptions = true,
    description = "Load/unload cycles with RSS sampling.")
public final class LoadUnloadCycles implements Callable<Integer> {
  @Option(names = "--host", defaultValue = "127.0.0.1")
  String host;

  @Option(names = "--http-port", defaultValue = "8000")
  int httpPort;

  @Option(names = "--model", required = true)
  String model;

  @Option(names = "--cycles", defaultValue = "200")
  int cycles;

  @Option(
      names = "--warmup-cycles",
      defaultValue = "10",
      description = "Cycles before the baseline RSS (default: ${DEFAULT-VALUE}).")
  int warmupCycles;

  @Option(
      names = "--sample-every",
      defaultValue = "20",
      description = "Cycles between RSS samples; the last cycle is always sampled.")
  int sampleEvery;

  @Option(names = "--pid", required = true, description = "The server's process id.")
  long pid;

  public static void main(String[] args) {
    System.exit(new CommandLine(new LoadUnloadCycles()).execute(args));
  }

  @Override
  public Integer call() throws IOException {
    if (cycles < 1 || sampleEvery < 1 || warmupCycles < 0) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--cycles and --sample-every must be >= 1, --warmup-cycles >= 0");
    }
    InferenceRequest request = InferenceRequest.of(model, List.of(BenchModels.input(model, 3)));
    List<Long> samples = new ArrayList<>();
    long warm;
    try (StrataClient c = StrataClient.rest(ClientConfig.of(host, httpPort))) {
      // Warm up: a few cycles first, so that one-time allocations (code, arenas, pools) are in
      // the baseline rather than counted as growth.
      for (int i = 0; i < warmupCycles; i++) {
        cycle(c, request);
      }
      warm = rssKb();
      long t0 = System.nanoTime();
      for (int i = 1; i <= cycles; i++) {
        cycle(c, request);
        if (i % sampleEvery == 0 || i == cycles) {
          samples.add(rssKb());
        }
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      long last = samples.getLast();
      long max = samples.stream().mapToLong(Long::longValue).max().orElse(last);
      System.out.println(
          String.format(
              Locale.ROOT,
              "{\"kind\":\"load-unload\",\"model\":\"%s\",\"cycles\":%d,\"seconds\":%.1f,"
                  + "\"rss_after_warmup_mb\":%.1f,\"rss_end_mb\":%.1f,\"rss_max_mb\":%.1f,"
                  + "\"growth_pct\":%.2f,\"samples_mb\":%s}",
              model,
              cycles,
              seconds,
              warm / 1024.0,
              last / 1024.0,
              max / 1024.0,
              100.0 * (last - warm) / warm,
              samples.stream().map(s -> String.format(Locale.ROOT, "%.0f", s / 1024.0)).toList()));
    }
    return 0;
  }

  private void cycle(StrataClient c, InferenceRequest request) {
    c.unload(model);
    c.load(model);
    c.infer(request);
  }

  private long rssKb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IOException("no VmRSS for process " + pid);
  }
}
