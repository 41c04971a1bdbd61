package dev.strata.bench.serving;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Turns the JSON lines of {@code serving-bench.sh} into the tables of {@code docs/benchmarks.md}.
 * Every server measurement is set against the in-process reference measured in the same round
 * (minutes apart at most), so the machine's drift between rounds cancels out; the table gives each
 * round and the median.
 */
@Command(
    name = "serving-report",
    mixinStandardHelpOptions = true,
    description = "Summarises serving-bench results (JSON lines) as Markdown tables.")
public final class ServingReport implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--results", required = true, description = "results.jsonl of serving-bench.sh")
  Path results;

  public static void main(String[] args) {
    System.exit(new CommandLine(new ServingReport()).execute(args));
  }

  @Override
  public Integer call() throws IOException {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : Files.readAllLines(results)) {
      if (!line.isBlank()) {
        lines.add(JSON.readTree(line));
      }
    }
    for (String model : List.of("small", "resnet")) {
      saturation(lines, model);
      halfLoad(lines, model);
    }
    startup(lines);
    rss(lines);
    return 0;
  }

  /** Saturated throughput per transport and round, against the round's in-process reference. */
  private static void saturation(List<JsonNode> lines, String model) {
    List<JsonNode> servers =
        select(lines, model, "server").stream()
            .filter(n -> n.path("rate").asDouble() == 0)
            .toList();
    if (servers.isEmpty()) {
      return;
    }
    System.out.printf(
        Locale.ROOT,
        "%n%s, saturation (closed loop)%n%n"
            + "| transport | round | server req/s | in-process items/s (batch) | server / in-process"
            + " | added µs per request | mean batch | server CPU µs/req |%n"
            + "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |%n",
        model);
    for (String transport : List.of("binary", "grpc", "json")) {
      List<Double> added = new ArrayList<>();
      List<Double> ratios = new ArrayList<>();
      for (JsonNode s : servers) {
        if (!s.path("transport").asText().equals(transport)) {
          continue;
        }
        int round = s.path("round").asInt();
        Optional<JsonNode> ref = reference(lines, model, round);
        if (ref.isEmpty()) {
          continue;
        }
        double server = s.path("req_per_s").asDouble();
        double inProcess = ref.get().path("items_per_s").asDouble();
        double addedUs = 1e6 / server - 1e6 / inProcess;
        added.add(addedUs);
        ratios.add(server / inProcess);
        System.out.printf(
            Locale.ROOT,
            "| %s | %d | %.0f | %.0f (%d) | %.3f | %.1f | %.1f | %.1f |%n",
            transport,
            round,
            server,
            inProcess,
            ref.get().path("batch").asInt(),
            server / inProcess,
            addedUs,
            s.path("mean_batch").asDouble(),
            s.path("server_cpu_us_per_req").asDouble());
      }
      if (!added.isEmpty()) {
        System.out.printf(
            Locale.ROOT,
            "| **%s, median** | | | | **%.3f** | **%.1f** | | |%n",
            transport,
            median(ratios),
            median(added));
      }
    }
  }

  /** Open-loop runs at half the saturated rate: p99 against in-process batch-1 p99 + 1 ms. */
  private static void halfLoad(List<JsonNode> lines, String model) {
    List<JsonNode> open =
        select(lines, model, "server").stream().filter(n -> n.path("rate").asDouble() > 0).toList();
    Optional<JsonNode> batch1 =
        select(lines, model, "in-process").stream()
            .filter(n -> n.path("batch").asInt() == 1)
            .min(Comparator.comparingDouble(n -> n.path("p99_us").asDouble()));
    if (open.isEmpty() || batch1.isEmpty()) {
      return;
    }
    double bound = batch1.get().path("p99_us").asDouble() + 1000;
    System.out.printf(
        Locale.ROOT,
        "%n%s, half of saturation (open loop); in-process batch-1 p99 %.0f µs, bound %.0f µs%n%n"
            + "| transport | rate req/s | p50 µs | p99 µs | within bound | errors |%n"
            + "| --- | ---: | ---: | ---: | --- | ---: |%n",
        model,
        batch1.get().path("p99_us").asDouble(),
        bound);
    for (JsonNode n : open) {
      double p99 = n.path("p99_us").asDouble();
      System.out.printf(
          Locale.ROOT,
          "| %s | %.0f | %.0f | %.0f | %s | %d |%n",
          n.path("transport").asText(),
          n.path("rate").asDouble(),
          n.path("p50_us").asDouble(),
          p99,
          p99 <= bound ? "yes" : "no",
          n.path("errors").asLong());
    }
  }

  private static void startup(List<JsonNode> lines) {
    for (String cpus : List.of("0-1", "0")) {
      List<Double> ms =
          lines.stream()
              .filter(n -> n.path("kind").asText().equals("startup"))
              .filter(n -> n.path("cpus").asText("0").equals(cpus))
              .map(n -> n.path("ms").asDouble())
              .toList();
      if (!ms.isEmpty()) {
        System.out.printf(
            Locale.ROOT,
            "%nstart to ready on CPUs %s, %d runs: median %.0f ms, min %.0f ms, max %.0f ms%n",
            cpus,
            ms.size(),
            median(ms),
            ms.stream().mapToDouble(Double::doubleValue).min().orElseThrow(),
            ms.stream().mapToDouble(Double::doubleValue).max().orElseThrow());
      }
    }
  }

  private static void rss(List<JsonNode> lines) {
    lines.stream()
        .filter(n -> n.path("kind").asText().equals("load-unload"))
        .forEach(n -> System.out.printf(Locale.ROOT, "%nload/unload cycles: %s%n", n));
  }

  /** The in-process measurement of the model in the given round (the round's reference batch). */
  private static Optional<JsonNode> reference(List<JsonNode> lines, String model, int round) {
    return select(lines, model, "in-process").stream()
        .filter(n -> n.path("round").asInt() == round && n.path("reference").asBoolean())
        .findFirst();
  }

  private static List<JsonNode> select(List<JsonNode> lines, String model, String kind) {
    return lines.stream()
        .filter(n -> n.path("kind").asText().equals(kind))
        .filter(n -> n.path("model").asText().equals(model))
        .toList();
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
