package dev.strata.protocol.client;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import java.net.URI;
import java.time.Duration;

/**
 * Where a {@link StrataClient} connects and how.
 *
 * @param host the server's host name or address
 * @param port the server's HTTP or gRPC port
 * @param timeout how long one call may take end to end, unless the request sets its own timeout
 *     (default 60 s)
 * @param connectTimeout how long opening a connection may take (default 5 s)
 * @param maxConnections REST: the most HTTP/1.1 keep-alive connections kept open to the server;
 *     requests beyond that wait for a free one (default 8). gRPC multiplexes on one connection
 * @param maxMessageBytes the largest response body or gRPC message accepted (default 64 MiB)
 * @param ioThreads REST: the event-loop threads doing the client's network I/O (default 1)
 */
public record ClientConfig(
    String host,
    int port,
    Duration timeout,
    Duration connectTimeout,
    int maxConnections,
    int maxMessageBytes,
    int ioThreads) {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  public static final int DEFAULT_MAX_CONNECTIONS = 8;
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 64 << 20;

  public ClientConfig {
    requireNonNull(host, "host");
    if (host.isBlank()) {
      throw StrataException.invalid("host: empty (expected: a host name or address)");
    }
    if (port < 1 || port > 65535) {
      throw StrataException.invalid("port: %d (expected: 1..65535)", port);
    }
    positive(requireNonNull(timeout, "timeout"), "timeout");
    positive(requireNonNull(connectTimeout, "connectTimeout"), "connectTimeout");
    if (maxConnections < 1) {
      throw StrataException.invalid("maxConnections: %d (expected: > 0)", maxConnections);
    }
    if (maxMessageBytes < 1024) {
      throw StrataException.invalid("maxMessageBytes: %d (expected: >= 1024)", maxMessageBytes);
    }
    if (ioThreads < 1) {
      throw StrataException.invalid("ioThreads: %d (expected: > 0)", ioThreads);
    }
  }

  private static void positive(Duration d, String name) {
    if (d.isNegative() || d.isZero()) {
      throw StrataException.invalid("%s: %s (expected: > 0)", name, d);
    }
  }

  /** A configuration with the defaults. */
  public static ClientConfig of(String host, int port) {
    return new ClientConfig(
        host,
        port,
        DEFAULT_TIMEOUT,
        DEFAULT_CONNECT_TIMEOUT,
        DEFAULT_MAX_CONNECTIONS,
        DEFAULT_MAX_MESSAGE_BYTES,
        1);
  }

  /**
   * A configuration with the defaults from an address: {@code host:port}, {@code http://host:port}
   * or {@code grpc://host:port}.
   */
  public static ClientConfig parse(String address) {
    requireNonNull(address, "address");
    URI uri;
    try {
      uri = URI.create(address.contains("://") ? address : "tcp://" + address);
    } catch (IllegalArgumentException e) {
      throw StrataException.invalid("address: '%s' (expected: host:port)", address);
    }
    if (uri.getHost() == null || uri.getPort() < 0) {
      throw StrataException.invalid("address: '%s' (expected: host:port)", address);
    }
    return of(uri.getHost(), uri.getPort());
  }

  public ClientConfig withTimeout(Duration timeout) {
    return new ClientConfig(
        host, port, timeout, connectTimeout, maxConnections, maxMessageBytes, ioThreads);
  }

  public ClientConfig withConnectTimeout(Duration connectTimeout) {
    return new ClientConfig(
        host, port, timeout, connectTimeout, maxConnections, maxMessageBytes, ioThreads);
  }

  public ClientConfig withMaxConnections(int maxConnections) {
    return new ClientConfig(
        host, port, timeout, connectTimeout, maxConnections, maxMessageBytes, ioThreads);
  }

  public ClientConfig withMaxMessageBytes(int maxMessageBytes) {
    return new ClientConfig(
        host, port, timeout, connectTimeout, maxConnections, maxMessageBytes, ioThreads);
  }

  public ClientConfig withIoThreads(int ioThreads) {
    return new ClientConfig(
        host, port, timeout, connectTimeout, maxConnections, maxMessageBytes, ioThreads);
  }
}
