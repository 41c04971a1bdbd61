package dev.strata.protocol.client;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Pattern;

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
 * @param headers sent with every call: HTTP headers over REST, metadata over gRPC (e.g. {@code
 *     Authorization: Bearer <token>}); none by default. Values never appear in {@link #toString()}
 * @param tls connect over TLS (HTTPS, gRPC with transport security), checking the server's
 *     certificate and host name against the JVM's default trust store ({@code
 *     javax.net.ssl.trustStore}); off by default
 */
public record ClientConfig(
    String host,
    int port,
    Duration timeout,
    Duration connectTimeout,
    int maxConnections,
    int maxMessageBytes,
    int ioThreads,
    Map<String, String> headers,
    boolean tls) {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  public static final int DEFAULT_MAX_CONNECTIONS = 8;
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 64 << 20;
  private static final Pattern HEADER_NAME = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]+");

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
    headers = checkHeaders(requireNonNull(headers, "headers"));
  }

  /** A configuration without extra headers. */
  public ClientConfig(
      String host,
      int port,
      Duration timeout,
      Duration connectTimeout,
      int maxConnections,
      int maxMessageBytes,
      int ioThreads) {
    this(
        host,
        port,
        timeout,
        connectTimeout,
        maxConnections,
        maxMessageBytes,
        ioThreads,
        Map.of(),
        false);
  }

  private static Map<String, String> checkHeaders(Map<String, String> headers) {
    for (Map.Entry<String, String> e : headers.entrySet()) {
      String name = requireNonNull(e.getKey(), "header name");
      String value = requireNonNull(e.getValue(), "header value");
      // gRPC metadata keys are lower case; HTTP names are case-insensitive, so one form serves both
      if (!HEADER_NAME.matcher(name).matches() || name.endsWith("-bin")) {
        throw StrataException.invalid("header name: '%s' (expected: an HTTP token)", name);
      }
      if (value.chars().anyMatch(c -> c < 0x20 || c > 0x7e)) {
        throw StrataException.invalid(
            "header %s: value has a control or non-ASCII character (expected: printable ASCII)",
            name);
      }
    }
    return Map.copyOf(headers);
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
   * or {@code grpc://host:port}; {@code https://host:port} and {@code grpcs://host:port} connect
   * over TLS.
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
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    return of(uri.getHost(), uri.getPort())
        .withTls(scheme.equals("https") || scheme.equals("grpcs"));
  }

  /** This configuration over TLS, or not. */
  public ClientConfig withTls(boolean tls) {
    return copy(b -> b.tls = tls);
  }

  public ClientConfig withTimeout(Duration timeout) {
    return copy(b -> b.timeout = timeout);
  }

  public ClientConfig withConnectTimeout(Duration connectTimeout) {
    return copy(b -> b.connectTimeout = connectTimeout);
  }

  public ClientConfig withMaxConnections(int maxConnections) {
    return copy(b -> b.maxConnections = maxConnections);
  }

  public ClientConfig withMaxMessageBytes(int maxMessageBytes) {
    return copy(b -> b.maxMessageBytes = maxMessageBytes);
  }

  public ClientConfig withIoThreads(int ioThreads) {
    return copy(b -> b.ioThreads = ioThreads);
  }

  /** This configuration plus one header sent with every call (replacing one of the same name). */
  public ClientConfig withHeader(String name, String value) {
    Map<String, String> h = new LinkedHashMap<>();
    String lower = requireNonNull(name, "name").toLowerCase(Locale.ROOT);
    headers.forEach(
        (k, v) -> {
          if (!k.toLowerCase(Locale.ROOT).equals(lower)) {
            h.put(k, v);
          }
        });
    h.put(lower, requireNonNull(value, "value"));
    return copy(b -> b.headers = h);
  }

  /** This configuration with what {@code change} sets changed (validated again). */
  private ClientConfig copy(Consumer<Copy> change) {
    Copy c = new Copy(this);
    change.accept(c);
    return new ClientConfig(
        c.host,
        c.port,
        c.timeout,
        c.connectTimeout,
        c.maxConnections,
        c.maxMessageBytes,
        c.ioThreads,
        c.headers,
        c.tls);
  }

  /** The components of a configuration being copied, for the {@code with...} methods. */
  private static final class Copy {
    String host;
    int port;
    Duration timeout;
    Duration connectTimeout;
    int maxConnections;
    int maxMessageBytes;
    int ioThreads;
    Map<String, String> headers;
    boolean tls;

    Copy(ClientConfig c) {
      host = c.host;
      port = c.port;
      timeout = c.timeout;
      connectTimeout = c.connectTimeout;
      maxConnections = c.maxConnections;
      maxMessageBytes = c.maxMessageBytes;
      ioThreads = c.ioThreads;
      headers = c.headers;
      tls = c.tls;
    }
  }

  /** Names the headers but not their values, which may be credentials. */
  @Override
  public String toString() {
    return "ClientConfig[host="
        + host
        + ", port="
        + port
        + ", timeout="
        + timeout
        + ", connectTimeout="
        + connectTimeout
        + ", maxConnections="
        + maxConnections
        + ", maxMessageBytes="
        + maxMessageBytes
        + ", ioThreads="
        + ioThreads
        + ", headers="
        + headers.keySet()
        + ", tls="
        + tls
        + "]";
  }
}
