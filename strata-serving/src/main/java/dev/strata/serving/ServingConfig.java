package dev.strata.serving;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;

/**
 * How the endpoints listen.
 *
 * @param host the address to bind; {@code 127.0.0.1} (loopback only) by default
 * @param httpPort the HTTP port; 0 picks a free one
 * @param grpcPort the gRPC port; 0 picks a free one, -1 disables gRPC
 * @param maxRequestBytes the largest request body accepted (413 / RESOURCE_EXHAUSTED beyond);
 *     streaming routes set their own limit
 * @param drainTimeout how long a graceful shutdown waits for in-flight requests
 * @param ioThreads network threads; 0 means one per available processor
 * @param tls TLS for both listeners; empty (the default) for plain text
 */
public record ServingConfig(
    String host,
    int httpPort,
    int grpcPort,
    int maxRequestBytes,
    Duration drainTimeout,
    int ioThreads,
    Optional<TlsConfig> tls) {
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_HTTP_PORT = 8000;
  public static final int DEFAULT_GRPC_PORT = 8001;
  public static final int DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024;
  public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);

  public ServingConfig {
    requireNonNull(host, "host");
    if (httpPort < 0 || httpPort > 65535) {
      throw new IllegalArgumentException("httpPort: " + httpPort + " (expected: 0-65535)");
    }
    if (grpcPort < -1 || grpcPort > 65535) {
      throw new IllegalArgumentException(
          "grpcPort: " + grpcPort + " (expected: -1 to disable, or 0-65535)");
    }
    if (maxRequestBytes <= 0) {
      throw new IllegalArgumentException(
          "maxRequestBytes: " + maxRequestBytes + " (expected: > 0)");
    }
    requireNonNull(drainTimeout, "drainTimeout");
    if (drainTimeout.isNegative()) {
      throw new IllegalArgumentException("drainTimeout: " + drainTimeout + " (expected: >= 0)");
    }
    if (ioThreads < 0) {
      throw new IllegalArgumentException("ioThreads: " + ioThreads + " (expected: >= 0)");
    }
    requireNonNull(tls, "tls");
  }

  /** Plain-text listeners. */
  public ServingConfig(
      String host,
      int httpPort,
      int grpcPort,
      int maxRequestBytes,
      Duration drainTimeout,
      int ioThreads) {
    this(host, httpPort, grpcPort, maxRequestBytes, drainTimeout, ioThreads, Optional.empty());
  }

  /** Loopback, ports 8000 and 8001, 64 MiB bodies, 30 s drain, one network thread per core. */
  public static ServingConfig defaults() {
    return new ServingConfig(
        DEFAULT_HOST,
        DEFAULT_HTTP_PORT,
        DEFAULT_GRPC_PORT,
        DEFAULT_MAX_REQUEST_BYTES,
        DEFAULT_DRAIN_TIMEOUT,
        0);
  }

  /** Loopback with free ports: for tests. */
  public static ServingConfig ephemeral() {
    return defaults().withPorts(0, 0);
  }

  public ServingConfig withPorts(int http, int grpc) {
    return new ServingConfig(host, http, grpc, maxRequestBytes, drainTimeout, ioThreads, tls);
  }

  public ServingConfig withHost(String newHost) {
    return new ServingConfig(
        newHost, httpPort, grpcPort, maxRequestBytes, drainTimeout, ioThreads, tls);
  }

  public ServingConfig withMaxRequestBytes(int bytes) {
    return new ServingConfig(host, httpPort, grpcPort, bytes, drainTimeout, ioThreads, tls);
  }

  public ServingConfig withDrainTimeout(Duration timeout) {
    return new ServingConfig(host, httpPort, grpcPort, maxRequestBytes, timeout, ioThreads, tls);
  }

  public ServingConfig withIoThreads(int threads) {
    return new ServingConfig(host, httpPort, grpcPort, maxRequestBytes, drainTimeout, threads, tls);
  }

  /** Serves HTTPS and gRPC over TLS with this certificate and key. */
  public ServingConfig withTls(TlsConfig config) {
    return new ServingConfig(
        host,
        httpPort,
        grpcPort,
        maxRequestBytes,
        drainTimeout,
        ioThreads,
        Optional.of(requireNonNull(config, "config")));
  }
}
