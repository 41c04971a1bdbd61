package dev.strata.cloud;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import dev.strata.registry.RegistryConfig;
import dev.strata.registry.db.DatabaseConfig;
import dev.strata.registry.fleet.FleetSettings;
import dev.strata.registry.telemetry.TelemetrySettings;
import dev.strata.serving.ServingConfig;
import dev.strata.serving.TlsConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The cloud's configuration, one record with documented defaults ({@link #builder}).
 *
 * @param dataDir where the cloud keeps everything: the registry ({@code registry.db}, {@code
 *     artifacts/}, {@code samples/}, {@code keys/}) and its own model repository ({@code
 *     cloud-models/}); default {@code ~/.strata/cloud}
 * @param host the address both listeners bind; default {@code 127.0.0.1} (loopback only)
 * @param httpPort the HTTP port (management API and inference); default 8080; 0 picks a free one
 * @param grpcPort the gRPC inference port; default 8081; 0 picks a free one, -1 disables gRPC
 * @param database the registry database; empty (the default) for SQLite at {@code
 *     <dataDir>/registry.db}
 * @param adminToken the admin token; empty (the default) to use the one generated on the first
 *     start (printed once by {@code strata cloud}, stored only as its hash)
 * @param inferenceAuth whether {@code /v2/...} and gRPC inference need a bearer token (an API key,
 *     the admin token or a node credential); default false
 * @param tls TLS for both listeners; empty (the default) for plain text
 * @param maxArtifactBytes the largest artifact upload accepted; default 4 GiB
 * @param maxRequestBytes the largest buffered request body (inference, JSON); default 64 MiB
 * @param apiThreads threads running management API calls (they block on the database); default 16
 * @param apiQueue management API calls that may wait for a thread before the server answers 503;
 *     default 4096
 * @param ioThreads network threads; 0 (the default) for one per processor
 * @param drainTimeout how long shutdown waits for in-flight requests; default 30 s
 * @param reconcileInterval how often the cloud compares the models it serves with its deployments
 *     (changes made through the API apply at once); default 2 s
 * @param bodyReadTimeout how long a management API call waits for more of its request body (an
 *     upload or JSON) before it ends with 400, so a client that stops sending half-way holds
 *     nothing; default 30 s
 * @param fleet heartbeat and liveness timing of edge nodes
 * @param telemetry how long the telemetry edge nodes report is kept; default 7 days
 */
public record CloudConfig(
    Path dataDir,
    String host,
    int httpPort,
    int grpcPort,
    Optional<DatabaseConfig> database,
    Optional<String> adminToken,
    boolean inferenceAuth,
    Optional<TlsConfig> tls,
    long maxArtifactBytes,
    int maxRequestBytes,
    int apiThreads,
    int apiQueue,
    int ioThreads,
    Duration drainTimeout,
    Duration reconcileInterval,
    Duration bodyReadTimeout,
    FleetSettings fleet,
    TelemetrySettings telemetry) {
  public static final int DEFAULT_HTTP_PORT = 8080;
  public static final int DEFAULT_GRPC_PORT = 8081;
  public static final Duration DEFAULT_BODY_READ_TIMEOUT = Duration.ofSeconds(30);

  public CloudConfig {
    requireNonNull(dataDir, "dataDir");
    requireNonNull(host, "host");
    requireNonNull(database, "database");
    requireNonNull(adminToken, "adminToken");
    requireNonNull(tls, "tls");
    requireNonNull(drainTimeout, "drainTimeout");
    requireNonNull(reconcileInterval, "reconcileInterval");
    requireNonNull(bodyReadTimeout, "bodyReadTimeout");
    requireNonNull(fleet, "fleet");
    requireNonNull(telemetry, "telemetry");
    if (maxArtifactBytes < 1) {
      throw StrataException.invalid("maxArtifactBytes: %d (expected: >= 1)", maxArtifactBytes);
    }
    if (apiThreads < 1) {
      throw StrataException.invalid("apiThreads: %d (expected: >= 1)", apiThreads);
    }
    if (apiQueue < 1) {
      throw StrataException.invalid("apiQueue: %d (expected: >= 1)", apiQueue);
    }
    if (reconcileInterval.isZero() || reconcileInterval.isNegative()) {
      throw StrataException.invalid("reconcileInterval: %s (expected: > 0)", reconcileInterval);
    }
    if (bodyReadTimeout.isZero() || bodyReadTimeout.isNegative()) {
      throw StrataException.invalid("bodyReadTimeout: %s (expected: > 0)", bodyReadTimeout);
    }
    // the listener settings are checked where they belong
    serving(host, httpPort, grpcPort, maxRequestBytes, drainTimeout, ioThreads, tls);
  }

  /** The defaults with the data directory in {@code ~/.strata/cloud}. */
  public static CloudConfig defaults() {
    return builder(defaultDataDir()).build();
  }

  /** {@code ~/.strata/cloud}. */
  public static Path defaultDataDir() {
    return Path.of(System.getProperty("user.home"), ".strata", "cloud");
  }

  public static Builder builder(Path dataDir) {
    return new Builder(dataDir);
  }

  /** What the listeners get. */
  public ServingConfig serving() {
    return serving(host, httpPort, grpcPort, maxRequestBytes, drainTimeout, ioThreads, tls);
  }

  private static ServingConfig serving(
      String host,
      int httpPort,
      int grpcPort,
      int maxRequestBytes,
      Duration drainTimeout,
      int ioThreads,
      Optional<TlsConfig> tls) {
    try {
      return new ServingConfig(
          host, httpPort, grpcPort, maxRequestBytes, drainTimeout, ioThreads, tls);
    } catch (IllegalArgumentException e) {
      throw StrataException.invalid("%s", e.getMessage());
    }
  }

  /** What the registry gets. */
  public RegistryConfig registry() {
    RegistryConfig r =
        RegistryConfig.defaults(dataDir)
            .withMaxArtifactBytes(maxArtifactBytes)
            .withFleet(fleet)
            .withTelemetry(telemetry);
    if (database.isPresent()) {
      r = r.withDatabase(database.get());
    }
    return adminToken.isPresent() ? r.withAdminToken(adminToken.get()) : r;
  }

  /** The cloud's own model repository. */
  public Path modelRepository() {
    return dataDir.resolve("cloud-models");
  }

  @Override
  public String toString() {
    return "CloudConfig[dataDir="
        + dataDir
        + ", host="
        + host
        + ", httpPort="
        + httpPort
        + ", grpcPort="
        + grpcPort
        + ", database="
        + database.map(DatabaseConfig::toString).orElse("(SQLite in dataDir)")
        + ", adminToken="
        + (adminToken.isPresent() ? "***" : "(generated)")
        + ", inferenceAuth="
        + inferenceAuth
        + ", tls="
        + tls
        + ", maxArtifactBytes="
        + maxArtifactBytes
        + ", maxRequestBytes="
        + maxRequestBytes
        + ", apiThreads="
        + apiThreads
        + ", apiQueue="
        + apiQueue
        + ", ioThreads="
        + ioThreads
        + ", drainTimeout="
        + drainTimeout
        + ", reconcileInterval="
        + reconcileInterval
        + ", bodyReadTimeout="
        + bodyReadTimeout
        + ", fleet="
        + fleet
        + ", telemetry="
        + telemetry
        + "]";
  }

  public Builder toBuilder() {
    Builder b = new Builder(dataDir);
    b.host = host;
    b.httpPort = httpPort;
    b.grpcPort = grpcPort;
    b.database = database;
    b.adminToken = adminToken;
    b.inferenceAuth = inferenceAuth;
    b.tls = tls;
    b.maxArtifactBytes = maxArtifactBytes;
    b.maxRequestBytes = maxRequestBytes;
    b.apiThreads = apiThreads;
    b.apiQueue = apiQueue;
    b.ioThreads = ioThreads;
    b.drainTimeout = drainTimeout;
    b.reconcileInterval = reconcileInterval;
    b.bodyReadTimeout = bodyReadTimeout;
    b.fleet = fleet;
    b.telemetry = telemetry;
    return b;
  }

  /** Builds a {@link CloudConfig}; every setting starts at its documented default. */
  public static final class Builder {
    private final Path dataDir;
    private String host = ServingConfig.DEFAULT_HOST;
    private int httpPort = DEFAULT_HTTP_PORT;
    private int grpcPort = DEFAULT_GRPC_PORT;
    private Optional<DatabaseConfig> database = Optional.empty();
    private Optional<String> adminToken = Optional.empty();
    private boolean inferenceAuth;
    private Optional<TlsConfig> tls = Optional.empty();
    private long maxArtifactBytes = RegistryConfig.DEFAULT_MAX_ARTIFACT_BYTES;
    private int maxRequestBytes = ServingConfig.DEFAULT_MAX_REQUEST_BYTES;
    private int apiThreads = 16;
    private int apiQueue = 4096;
    private int ioThreads;
    private Duration drainTimeout = ServingConfig.DEFAULT_DRAIN_TIMEOUT;
    private Duration reconcileInterval = Duration.ofSeconds(2);
    private Duration bodyReadTimeout = DEFAULT_BODY_READ_TIMEOUT;
    private FleetSettings fleet = FleetSettings.DEFAULTS;
    private TelemetrySettings telemetry = TelemetrySettings.DEFAULTS;

    private Builder(Path dataDir) {
      this.dataDir = requireNonNull(dataDir, "dataDir");
    }

    public Builder host(String value) {
      this.host = requireNonNull(value, "host");
      return this;
    }

    /** Both ports; 0 picks free ones, a gRPC port of -1 disables gRPC. */
    public Builder ports(int http, int grpc) {
      this.httpPort = http;
      this.grpcPort = grpc;
      return this;
    }

    /**
     * Where and how the endpoints listen: host, ports, body limit, drain timeout and network
     * threads of {@code value} (TLS is set with {@link #tls}).
     */
    public Builder serving(ServingConfig value) {
      requireNonNull(value, "serving");
      host(value.host());
      ports(value.httpPort(), value.grpcPort());
      maxRequestBytes(value.maxRequestBytes());
      drainTimeout(value.drainTimeout());
      return ioThreads(value.ioThreads());
    }

    public Builder database(DatabaseConfig value) {
      this.database = Optional.of(requireNonNull(value, "database"));
      return this;
    }

    public Builder adminToken(String value) {
      this.adminToken = Optional.of(requireNonNull(value, "adminToken"));
      return this;
    }

    public Builder inferenceAuth(boolean value) {
      this.inferenceAuth = value;
      return this;
    }

    public Builder tls(TlsConfig value) {
      this.tls = Optional.of(requireNonNull(value, "tls"));
      return this;
    }

    public Builder maxArtifactBytes(long value) {
      this.maxArtifactBytes = value;
      return this;
    }

    public Builder maxRequestBytes(int value) {
      this.maxRequestBytes = value;
      return this;
    }

    public Builder apiThreads(int value) {
      this.apiThreads = value;
      return this;
    }

    public Builder apiQueue(int value) {
      this.apiQueue = value;
      return this;
    }

    public Builder ioThreads(int value) {
      this.ioThreads = value;
      return this;
    }

    public Builder drainTimeout(Duration value) {
      this.drainTimeout = requireNonNull(value, "drainTimeout");
      return this;
    }

    public Builder reconcileInterval(Duration value) {
      this.reconcileInterval = requireNonNull(value, "reconcileInterval");
      return this;
    }

    public Builder bodyReadTimeout(Duration value) {
      this.bodyReadTimeout = requireNonNull(value, "bodyReadTimeout");
      return this;
    }

    public Builder fleet(FleetSettings value) {
      this.fleet = requireNonNull(value, "fleet");
      return this;
    }

    public Builder telemetry(TelemetrySettings value) {
      this.telemetry = requireNonNull(value, "telemetry");
      return this;
    }

    public CloudConfig build() {
      return new CloudConfig(
          dataDir,
          host,
          httpPort,
          grpcPort,
          database,
          adminToken,
          inferenceAuth,
          tls,
          maxArtifactBytes,
          maxRequestBytes,
          apiThreads,
          apiQueue,
          ioThreads,
          drainTimeout,
          reconcileInterval,
          bodyReadTimeout,
          fleet,
          telemetry);
    }
  }
}
