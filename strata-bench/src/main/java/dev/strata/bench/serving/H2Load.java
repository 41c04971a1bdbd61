package dev.strata.bench.serving;

import dev.strata.core.InferenceRequest;
import dev.strata.core.ModelStatistics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Closed-loop gRPC load with h2load (nghttp2's HTTP/2 benchmarking tool, C), a load generator
 * outside the JVM, as {@link WrkLoad} is for REST: {@code --connections N} HTTP/2 connections with
 * {@code --streams} calls outstanding on each, posting the {@code ModelInfer} call that {@link
 * LoadGenerator} sends, framed as on the wire ({@link GrpcRequestFile}). Runs a warm-up, then
 * {@code --windows} runs of {@code --window-seconds}, and prints one JSON line in {@link
 * LoadGenerator}'s form ({@code "tool":"h2load"}, no latency percentiles: h2load gives none).
 * h2load does not read gRPC's status trailer (a failed call is still HTTP 200 to it), so {@code
 * errors} adds the calls h2load counted as answered beyond the server's own successes.
 */
@Command(
    name = "h2load-load",
    mixinStandardHelpOptions = true,
    description = "Closed-loop gRPC load with h2load.")
public final class H2Load extends ExternalLoad<H2Load.Result> {
  private static final Pattern RATE = Pattern.compile("finished in ([0-9.]+)s, ([0-9.]+) req/s");
  private static final Pattern REQUESTS =
      Pattern.compile(
          "requests: (\\d+) total, \\d+ started, \\d+ done, (\\d+) succeeded, (\\d+) failed,"
              + " (\\d+) errored, (\\d+) timeout");

  @Option(names = "--grpc-port", defaultValue = "8001")
  int grpcPort;

  @Option(names = "--streams", defaultValue = "1", description = "Calls at once per connection.")
  int streams;

  @Option(names = "--h2load", defaultValue = "h2load", description = "The h2load executable.")
  String h2load;

  /** One h2load run: calls per second and calls answered / failed. */
  record Result(double perSecond, long succeeded, long failed) {}

  public static void main(String[] args) {
    System.exit(new CommandLine(new H2Load()).execute(args));
  }

  @Override
  void writeBody(Path file) throws IOException {
    InferenceRequest request = BenchModels.request(model);
    Files.write(file, GrpcRequestFile.framed(request));
  }

  @Override
  Result run(Path bodyFile, int seconds) throws IOException, InterruptedException {
    String url = "http://" + host + ":" + grpcPort + "/inference.GRPCInferenceService/ModelInfer";
    ProcessBuilder pb =
        new ProcessBuilder(
            h2load,
            "-c",
            Integer.toString(connections),
            "-m",
            Integer.toString(streams),
            "-D",
            Integer.toString(seconds),
            "-H",
            "content-type: application/grpc",
            "-H",
            "te: trailers",
            "-d",
            bodyFile.toString(),
            url);
    Output out = exec(pb, "install it: apt-get install -y nghttp2-client");
    Double rate = null;
    long succeeded = -1;
    long failed = 0;
    for (String line : out.lines()) {
      Matcher m = RATE.matcher(line);
      if (m.find()) {
        rate = Double.parseDouble(m.group(2));
      }
      m = REQUESTS.matcher(line);
      if (m.find()) {
        succeeded = Long.parseLong(m.group(2));
        failed =
            Long.parseLong(m.group(3)) + Long.parseLong(m.group(4)) + Long.parseLong(m.group(5));
      }
    }
    if (out.exit() != 0 || rate == null || succeeded < 0) {
      throw new IOException(
          "h2load exited with " + out.exit() + " without a result:\n" + out.text());
    }
    return new Result(rate, succeeded, failed);
  }

  @Override
  void report(List<Result> runs, long cpuNanos, ModelStatistics start, ModelStatistics end) {
    List<Double> rates = new ArrayList<>();
    long requests = 0;
    long errors = 0;
    for (Result r : runs) {
      rates.add(r.perSecond());
      requests += r.succeeded();
      errors += r.failed();
    }
    // A call the server failed is still HTTP 200 to h2load: count the successes it did not see.
    long served = end.inferenceStats().success().count() - start.inferenceStats().success().count();
    errors += Math.max(0, requests - served);
    System.out.println(
        String.format(
            Locale.ROOT,
            "{\"kind\":\"server\",\"tool\":\"h2load\",\"model\":\"%s\",\"transport\":\"grpc\","
                + "\"concurrency\":%d,\"streams\":%d,\"rate\":0.0,%s,\"errors\":%d,"
                + "\"mean_batch\":%.2f,\"server_cpu_us_per_req\":%.1f}",
            model,
            connections * streams,
            streams,
            rates(rates),
            errors,
            meanBatch(start, end),
            requests == 0 ? 0 : cpuNanos / 1e3 / requests));
  }
}
