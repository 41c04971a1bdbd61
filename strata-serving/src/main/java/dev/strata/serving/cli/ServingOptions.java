package dev.strata.serving.cli;

import static java.util.Objects.requireNonNull;

import dev.strata.serving.ServingConfig;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The listening options of every command that serves ({@code serve}, {@code cloud}, {@code edge}),
 * defined once. A command mixes them in with its own defaults, which come from its configuration
 * record, so the help text and the code cannot drift apart:
 *
 * <pre>{@code
 * @Mixin ServingOptions serving = new ServingOptions(CloudConfig.defaults().serving());
 * }</pre>
 *
 * <p>TLS is not here: only the cloud offers it, and it reads its own files.
 */
public final class ServingOptions {
  @Option(
      names = "--host",
      paramLabel = "ADDRESS",
      description =
          "Address to listen on (default: ${DEFAULT-VALUE}, loopback only; 0.0.0.0 for all).")
  String host;

  @Option(
      names = "--http-port",
      paramLabel = "PORT",
      description = "HTTP port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int httpPort;

  @Option(
      names = "--grpc-port",
      paramLabel = "PORT",
      description = "gRPC port (default: ${DEFAULT-VALUE}; 0 picks a free one, -1 disables gRPC).")
  int grpcPort;

  @Option(
      names = "--max-request-mb",
      paramLabel = "MIB",
      description =
          "Largest request body in MiB (default: ${DEFAULT-VALUE}; bodies are held in memory).")
  int maxRequestMb;

  @Option(
      names = "--drain-timeout",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description =
          "How long shutdown waits for in-flight requests (default: ${DEFAULT-VALUE}; e.g. 30s).")
  Duration drainTimeout;

  @Option(
      names = "--io-threads",
      paramLabel = "N",
      description = "Network threads (default: ${DEFAULT-VALUE}, one per processor).")
  int ioThreads;

  /** The defaults of {@link ServingConfig#defaults()}. */
  public ServingOptions() {
    this(ServingConfig.defaults());
  }

  /** Options whose defaults are those of {@code defaults}. */
  public ServingOptions(ServingConfig defaults) {
    requireNonNull(defaults, "defaults");
    host = defaults.host();
    httpPort = defaults.httpPort();
    grpcPort = defaults.grpcPort();
    if (defaults.maxRequestBytes() % (1 << 20) != 0) {
      throw new IllegalArgumentException(
          "maxRequestBytes: " + defaults.maxRequestBytes() + " (expected: whole MiB)");
    }
    maxRequestMb = defaults.maxRequestBytes() >> 20;
    drainTimeout = defaults.drainTimeout();
    ioThreads = defaults.ioThreads();
  }

  /** The configuration these options describe (plain text; add TLS with {@code withTls}). */
  public ServingConfig config() {
    if (maxRequestMb <= 0 || maxRequestMb > 2047) {
      throw new IllegalArgumentException(
          "--max-request-mb: " + maxRequestMb + " (expected: 1 to 2047)");
    }
    return new ServingConfig(host, httpPort, grpcPort, maxRequestMb << 20, drainTimeout, ioThreads);
  }

  public String host() {
    return host;
  }
}
