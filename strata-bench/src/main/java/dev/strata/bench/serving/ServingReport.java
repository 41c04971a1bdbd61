package dev.strata.bench.serving;

import static dev.strata.bench.BenchStats.median;

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

  /**
   * Saturated throughput per transport, load generator and client count, one column per round
   * against the round's in-process reference: for the small model the server's added cost per
   * request ({@code 1/server - 1/in-process}, µs), for resnet the ratio server / in-process.
   */
  private static void saturation(List<JsonNode> lines, String model) {
    List<JsonNode> servers =
        select(lines, model, "server").stream()
            .filter(n -> n.path("rate").asDouble() == 0)
            .toList();
    if (servers.isEmpty()) {
      return;
    }
    boolean small = model.equals("small");
    List<Integer> rounds =
        servers.stream().map(n -> n.path("round").asInt()).distinct().sorted().toList();
    StringBuilder head = new StringBuilder("| transport | load generator | clients |");
    StringBuilder rule = new StringBuilder("| --- | --- | ---: |");
    for (int r : rounds) {
      head.append(" round ").append(r).append(" |");
      rule.append(" ---: |");
    }
    head.append(" **median** | target | server / in-process | server req/s | mean batch |")
        .append(" server CPU µs/req |");
    rule.append(" ---: | ---: | ---: | ---: | ---: | ---: |");
    System.out.printf(
        Locale.ROOT,
        "%n%s, saturation (closed loop): %s%n%n%s%n%s%n",
        model,
        small
            ? "the server's added cost per request, 1/server − 1/in-process, µs"
            : "server throughput / in-process ONNX Runtime",
        head,
        rule);
    for (String transport : List.of("binary", "grpc", "json")) {
      for (String tool : List.of("load", "wrk", "h2load")) {
        List<Integer> clients =
            servers.stream()
                .filter(n -> n.path("transport").asText().equals(transport))
                .filter(n -> n.path("tool").asText("load").equals(tool))
                .map(n -> n.path("concurrency").asInt())
                .distinct()
                .sorted()
                .toList();
        for (int c : clients) {
          row(lines, servers, model, transport, tool, c, rounds, small);
        }
      }
    }
    System.out.print("\nin-process references (items/s at the reference batch):");
    for (int r : rounds) {
      reference(lines, model, r)
          .ifPresent(
              ref ->
                  System.out.printf(
                      Locale.ROOT,
                      " round %d %.0f (batch %d);",
                      r,
                      ref.path("items_per_s").asDouble(),
                      ref.path("batch").asInt()));
    }
    System.out.println();
  }

  private static void row(
      List<JsonNode> lines,
      List<JsonNode> servers,
      String model,
      String transport,
      String tool,
      int clients,
      List<Integer> rounds,
      boolean small) {
    List<Double> metric = new ArrayList<>();
    List<Double> ratios = new ArrayList<>();
    List<Double> rates = new ArrayList<>();
    List<Double> batches = new ArrayList<>();
    List<Double> cpu = new ArrayList<>();
    StringBuilder perRound = new StringBuilder();
    for (int r : rounds) {
      Optional<JsonNode> s =
          servers.stream()
              .filter(n -> n.path("transport").asText().equals(transport))
              .filter(n -> n.path("tool").asText("load").equals(tool))
              .filter(n -> n.path("concurrency").asInt() == clients)
              .filter(n -> n.path("round").asInt() == r)
              .findFirst();
      Optional<JsonNode> ref = reference(lines, model, r);
      if (s.isEmpty() || ref.isEmpty() || s.get().path("req_per_s").asDouble() == 0) {
        perRound.append(" – |");
        continue;
      }
      double server = s.get().path("req_per_s").asDouble();
      double inProcess = ref.get().path("items_per_s").asDouble();
      double added = 1e6 / server - 1e6 / inProcess;
      double ratio = server / inProcess;
      metric.add(small ? added : ratio);
      ratios.add(ratio);
      rates.add(server);
      batches.add(s.get().path("mean_batch").asDouble());
      cpu.add(s.get().path("server_cpu_us_per_req").asDouble());
      perRound.append(
          small
              ? String.format(Locale.ROOT, " %.1f µs |", added)
              : String.format(Locale.ROOT, " %.3f |", ratio));
      if (s.get().path("errors").asLong() > 0) {
        perRound.insert(perRound.length() - 1, "(" + s.get().path("errors").asLong() + " errors) ");
      }
    }
    if (metric.isEmpty()) {
      return;
    }
    String target =
        small
            ? (transport.equals("json") ? "≤ 100 µs" : "≤ 40 µs")
            : (transport.equals("json") ? "" : "≥ 0.95×");
    System.out.printf(
        Locale.ROOT,
        "| %s | %s | %d |%s **%s** | %s | %.3f | %.0f | %.1f | %.1f |%n",
        label(transport),
        tool.equals("load") ? "LoadGenerator" : tool,
        clients,
        perRound,
        small
            ? String.format(Locale.ROOT, "%.1f µs", median(metric))
            : String.format(Locale.ROOT, "%.3f×", median(metric)),
        target,
        median(ratios),
        median(rates),
        median(batches),
        median(cpu));
  }

  private static String label(String transport) {
    return switch (transport) {
      case "binary" -> "REST, binary tensors";
      case "grpc" -> "gRPC (`raw_input_contents`)";
      default -> "REST, JSON";
    };
  }

  /**
   * Open-loop runs at half the saturated rate: p99 against in-process batch-1 p99 + 1 ms (back to
   * back), next to the p99 of in-process batch 1 on the same schedule (idle between calls), where
   * measured.
   */
  private static void halfLoad(List<JsonNode> lines, String model) {
    List<JsonNode> open =
        select(lines, model, "server").stream().filter(n -> n.path("rate").asDouble() > 0).toList();
    List<JsonNode> paced =
        select(lines, model, "in-process").stream()
            .filter(n -> n.path("batch").asInt() == 1 && n.path("rate").asDouble() > 0)
            .toList();
    Optional<JsonNode> batch1 =
        select(lines, model, "in-process").stream()
            .filter(n -> n.path("batch").asInt() == 1 && n.path("rate").asDouble() == 0)
            .min(Comparator.comparingDouble(n -> n.path("p99_us").asDouble()));
    if (open.isEmpty() || batch1.isEmpty()) {
      return;
    }
    double bound = batch1.get().path("p99_us").asDouble() + 1000;
    System.out.printf(
        Locale.ROOT,
        "%n%s, half of saturation (open loop); in-process batch-1 p99 %.0f µs, bound %.0f µs%n%n"
            + "| transport | rate req/s | answered req/s | p50 µs | p99 µs | within bound | errors"
            + " | in-process at this rate: p50 µs | p99 µs |%n"
            + "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |%n",
        model,
        batch1.get().path("p99_us").asDouble(),
        bound);
    for (JsonNode n : open) {
      double p99 = n.path("p99_us").asDouble();
      double rate = n.path("rate").asDouble();
      double answered = n.path("req_per_s").asDouble();
      // Below 95% of the schedule the client (or the server) fell behind: the latencies of the
      // requests it never sent are unknown, so the run proves nothing about the bound.
      boolean sustained = answered >= 0.95 * rate;
      Optional<JsonNode> alone =
          paced.stream().filter(p -> Math.abs(p.path("rate").asDouble() - rate) <= 0.5).findFirst();
      System.out.printf(
          Locale.ROOT,
          "| %s | %.0f | %.0f | %s | %s | %s | %d | %s | %s |%n",
          n.path("transport").asText(),
          rate,
          answered,
          sustained ? String.format(Locale.ROOT, "%.0f", n.path("p50_us").asDouble()) : "—",
          sustained ? String.format(Locale.ROOT, "%.0f", p99) : "—",
          !sustained ? "not sustained" : p99 <= bound ? "yes" : "no",
          n.path("errors").asLong(),
          micros(alone, "p50_us"),
          micros(alone, "p99_us"));
    }
  }

  /** A measurement's field in whole µs, or a dash where there is no measurement. */
  private static String micros(Optional<JsonNode> n, String field) {
    return n.map(p -> String.format(Locale.ROOT, "%.0f", p.path(field).asDouble())).orElse("—");
  }

  private static void startup(List<JsonNode> lines) {
    List<String> sets =
        lines.stream()
            .filter(n -> n.path("kind").asText().equals("startup"))
            .map(n -> n.path("cpus").asText("0"))
            .distinct()
            .toList();
    for (String cpus : sets) {
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
}
