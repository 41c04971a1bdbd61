package dev.strata.bench.serving;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strata.core.InferenceRequest;
import dev.strata.core.ModelStatistics;
import dev.strata.protocol.rest.EncodedBody;
import dev.strata.protocol.rest.RestCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
public final class WrkLoad extends ExternalLoad<JsonNode> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--transport", required = true, description = "json or binary")
  LoadGenerator.Transport transport;

  @Option(names = "--threads", defaultValue = "1", description = "wrk threads.")
  int threads;

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

  private EncodedBody body;

  @Override
  void check() {
    if (transport == LoadGenerator.Transport.grpc) {
      throw new CommandLine.ParameterException(
          new CommandLine(this),
          "--transport: wrk speaks HTTP/1.1 only (expected: json or binary; h2load-load for gRPC)");
    }
    if (!Files.isRegularFile(script)) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--script: no file " + script.toAbsolutePath());
    }
  }

  @Override
  void writeBody(Path file) throws IOException {
    boolean binary = transport == LoadGenerator.Transport.binary;
    InferenceRequest request = BenchModels.request(model);
    body = new RestCodec().encodeInferRequest(request, binary, binary);
    Files.write(file, body.toByteArray());
  }

  /** Runs wrk once and returns the line its script printed. */
  @Override
  JsonNode run(Path bodyFile, int seconds) throws IOException, InterruptedException {
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
            url);
    pb.environment().put("WRK_BODY", bodyFile.toString());
    pb.environment().put("WRK_CONTENT_TYPE", body.contentType());
    body.inferenceHeaderContentLength()
        .ifPresent(l -> pb.environment().put("WRK_HEADER_LENGTH", Integer.toString(l)));
    Output out = exec(pb, "install it: apt-get install -y wrk");
    JsonNode result = null;
    for (String line : out.lines()) {
      if (line.startsWith("wrk-result ")) {
        result = JSON.readTree(line.substring("wrk-result ".length()));
      }
    }
    if (out.exit() != 0 || result == null) {
      throw new IOException("wrk exited with " + out.exit() + " without a result:\n" + out.text());
    }
    return result;
  }

  @Override
  void report(List<JsonNode> runs, long cpuNanos, ModelStatistics start, ModelStatistics end) {
    List<Double> rates = new ArrayList<>();
    long requests = 0;
    long errors = 0;
    double p50 = 0;
    double p90 = 0;
    double p99 = 0;
    for (JsonNode r : runs) {
      rates.add(r.path("requests").asDouble() / (r.path("duration_us").asDouble() / 1e6));
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
    System.out.println(
        String.format(
            Locale.ROOT,
            "{\"kind\":\"server\",\"tool\":\"wrk\",\"model\":\"%s\",\"transport\":\"%s\","
                + "\"concurrency\":%d,\"rate\":0.0,%s,"
                + "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"errors\":%d,"
                + "\"mean_batch\":%.2f,\"server_cpu_us_per_req\":%.1f}",
            model,
            transport,
            connections,
            rates(rates),
            p50,
            p90,
            p99,
            errors,
            meanBatch(start, end),
            requests == 0 ? 0 : cpuNanos / 1e3 / requests));
  }
}
