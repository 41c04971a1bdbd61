package dev.strata.bench.serving;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strata.core.InferenceRequest;
import dev.strata.core.ModelStatistics;
import dev.strata.protocol.client.ClientConfig;
import dev.strata.protocol.client.StrataClient;
import dev.strata.protocol.rest.EncodedBody;
import dev.strata.protocol.rest.RestCodec;
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
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Closed-loop REST load with <a href="https://github.com/wg/wrk">wrk</a>, a load generator outside
 * the JVM, as a check on {@link LoadGenerator}: {@code --connections N} connections, each one
 * client with one request outstanding, on {@code --threads} wrk threads. The body is the same one
 * {@link LoadGenerator} sends (JSON, or binary tensors), posted by {@code
 * strata-bench/wrk/infer.lua}. Runs a warm-up, then {@code --windows} runs of {@code
 * --window-seconds}, and prints one JSON line in {@link LoadGenerator}'s form ({@code
 * "tool":"wrk"}); any non-2xx answer or socket error is counted in {@code errors}.
 */
@Command(
    name = "wrk-load",
    mixinStandardHelpOptions = true,
    description = "Closed-loop REST load with wrk (binary or JSON bodies).")
public final class WrkLoad implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--host", defaultValue = "127.0.0.1")
  String host;

  @Option(names = "--http-port", defaultValue = "8000")
  int httpPort;

  @Option(names = "--model", required = true)
  String model;

  @Option(names = "--transport", required = true, description = "json or binary")
  LoadGenerator.Transport transport;

  @Option(
      names = "--connections",
      defaultValue = "16",
      description = "Clients, one connection each.")
  int connections;

  @Option(names = "--threads", defaultValue = "1", description = "wrk threads.")
  int threads;

  @Option(names = "--warmup", defaultValue = "15", description = "Seconds before measuring.")
  int warmup;

  @Option(names = "--windows", defaultValue = "3")
  int windows;

  @Option(names = "--window-seconds", defaultValue = "5")
  int windowSeconds;

  @Option(names = "--server-pid", defaultValue = "0", description = "Report its CPU per request.")
  long serverPid;

  @Option(names = "--wrk", defaultValue = "wrk", description = "The wrk executable.")
  String wrk;

  @Option(
      names = "--script",
      defaultValue = "strata-bench/wrk/infer.lua",
      description = "The Lua script that posts the body (default: ${DEFAULT-VALUE}).")
  Path script;

  public static void main(String[] args) {
    System.exit(new CommandLine(new WrkLoad()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (transport == LoadGenerator.Transport.grpc) {
      throw new CommandLine.ParameterException(
          new CommandLine(this),
          "--transport: wrk speaks HTTP/1.1 only (expected: json or binary)");
    }
    if (!Files.isRegularFile(script)) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--script: no file " + script.toAbsolutePath());
    }
    boolean binary = transport == LoadGenerator.Transport.binary;
    InferenceRequest request = InferenceRequest.of(model, List.of(BenchModels.input(model, 7)));
    EncodedBody body = new RestCodec().encodeInferRequest(request, binary, binary);
    Path bodyFile = Files.createTempFile("strata-wrk-", binary ? ".bin" : ".json");
    try (StrataClient control = StrataClient.rest(ClientConfig.of(host, httpPort))) {
      Files.write(bodyFile, body.toByteArray());
      if (warmup > 0) {
        run(body, bodyFile, warmup);
      }
      ModelStatistics start = control.statistics(Optional.of(model), Optional.empty()).getFirst();
      ProcessCpu cpu = serverPid > 0 ? new ProcessCpu(serverPid) : null;
      long cpuStart = cpu == null ? 0 : cpu.nanos();
      List<JsonNode> runs = new ArrayList<>();
      for (int w = 0; w < windows; w++) {
        runs.add(run(body, bodyFile, windowSeconds));
      }
      long cpuNanos = cpu == null ? 0 : cpu.nanos() - cpuStart;
      ModelStatistics end = control.statistics(Optional.of(model), Optional.empty()).getFirst();
      report(runs, cpuNanos, start, end);
    } finally {
      Files.deleteIfExists(bodyFile);
    }
    return 0;
  }

  /** Runs wrk once and returns the line its script printed. */
  private JsonNode run(EncodedBody body, Path bodyFile, int seconds)
      throws IOException, InterruptedException {
    String url = "http://" + host + ":" + httpPort + "/v2/models/" + model + "/infer";
    ProcessBuilder pb =
        new ProcessBuilder(
                wrk,
                "-t",
                Integer.toString(threads),
                "-c",
                Integer.toString(connections),
                "-d",
                seconds + "s",
                "--timeout",
                "30s",
                "-s",
                script.toString(),
                url)
            .redirectErrorStream(true);
    pb.environment().put("WRK_BODY", bodyFile.toString());
    pb.environment().put("WRK_CONTENT_TYPE", body.contentType());
    body.inferenceHeaderContentLength()
        .ifPresent(l -> pb.environment().put("WRK_HEADER_LENGTH", Integer.toString(l)));
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new IOException(
          "cannot run '" + wrk + "' (" + e.getMessage() + "); install it: apt-get install -y wrk",
          e);
    }
    StringBuilder output = new StringBuilder();
    JsonNode result = null;
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        output.append(line).append('\n');
        if (line.startsWith("wrk-result ")) {
          result = JSON.readTree(line.substring("wrk-result ".length()));
        }
      }
    }
    int exit = p.waitFor();
    if (exit != 0 || result == null) {
      throw new IOException("wrk exited with " + exit + " without a result:\n" + output);
    }
    return result;
  }

  private void report(
      List<JsonNode> runs, long cpuNanos, ModelStatistics start, ModelStatistics end) {
    List<String> tput = new ArrayList<>();
    double sum = 0;
    double min = Double.MAX_VALUE;
    double max = 0;
    long requests = 0;
    long errors = 0;
    double p50 = 0;
    double p90 = 0;
    double p99 = 0;
    for (JsonNode r : runs) {
      double t = r.path("requests").asDouble() / (r.path("duration_us").asDouble() / 1e6);
      tput.add(String.format(Locale.ROOT, "%.1f", t));
      sum += t;
      min = Math.min(min, t);
      max = Math.max(max, t);
      requests += r.path("requests").asLong();
      errors +=
          r.path("errors_connect").asLong()
              + r.path("errors_read").asLong()
              + r.path("errors_write").asLong()
              + r.path("errors_status").asLong()
              + r.path("errors_timeout").asLong();
      // wrk's percentiles are per run: report the worst run's, not an average of percentiles
      p50 = Math.max(p50, r.path("p50_us").asDouble());
      p90 = Math.max(p90, r.path("p90_us").asDouble());
      p99 = Math.max(p99, r.path("p99_us").asDouble());
    }
    double mean = sum / runs.size();
    long inferences = end.inferenceCount() - start.inferenceCount();
    long executions = end.executionCount() - start.executionCount();
    System.out.println(
        String.format(
            Locale.ROOT,
            "{\"kind\":\"server\",\"tool\":\"wrk\",\"model\":\"%s\",\"transport\":\"%s\","
                + "\"concurrency\":%d,\"rate\":0.0,\"req_per_s\":%.1f,\"windows\":[%s],"
                + "\"spread\":%.3f,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"errors\":%d,"
                + "\"mean_batch\":%.2f,\"server_cpu_us_per_req\":%.1f}",
            model,
            transport,
            connections,
            mean,
            String.join(",", tput),
            mean == 0 ? 0 : (max - min) / mean,
            p50,
            p90,
            p99,
            errors,
            executions == 0 ? 0 : (double) inferences / executions,
            requests == 0 ? 0 : cpuNanos / 1e3 / requests));
  }
}
