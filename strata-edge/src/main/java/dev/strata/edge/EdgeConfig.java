package dev.strata.edge;

import static java.util.Objects.requireNonNull;

import dev.strata.control.Names;
import dev.strata.core.StrataException;
import dev.strata.serving.ServingConfig;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The edge agent's configuration. Only the cloud's address is required; everything else has a
 * default (see {@link Builder}).
 *
 * @param cloud the cloud's base URL ({@code http://host:port}): the node API ({@code /api/v1})
 * @param cloudInference where the cloud serves the Open Inference Protocol for escalated requests;
 *     the cloud's own address when empty
 * @param enrollToken the one-time enrollment token; needed only until the node has enrolled (its
 *     credential then lives in the data directory)
 * @param dataDir where the agent keeps its credential, state, artifacts, models and telemetry
 *     (default {@code ~/.strata/edge})
 * @param cloudKey the cloud's manifest-signing public key (base64 X.509 Ed25519). When given, the
 *     key the cloud presents at enrollment must be this one; when empty, the agent pins the key the
 *     cloud presents at enrollment (trust on first use)
 * @param nodeName the name to enroll under (default: the host name)
 * @param labels labels the node reports at enrollment (the token's labels win)
 * @param serving where the local Open Inference Protocol server listens ({@link #DEFAULT_SERVING}:
 *     loopback, ports 8000 HTTP and 8001 gRPC, bodies up to 16 MiB)
 * @param inferenceAuth whether the local inference API ({@code /v2/...} but its health probes, and
 *     gRPC) needs {@code Authorization: Bearer <token>} with a token of {@code
 *     <dataDir>/inference-tokens} (created with one generated token if missing); default false
 * @param repositoryApi whether the local repository API may load and unload models (REST {@code
 *     POST /v2/repository/models/{m}/load} and {@code unload}, gRPC {@code RepositoryModelLoad} and
 *     {@code RepositoryModelUnload}); default false: an edge changes its models only by the cloud's
 *     signed deployments, and those calls answer 403 PERMISSION_DENIED (the index stays readable)
 * @param pollInterval how often to send heartbeats (and so to notice a new desired state); empty
 *     follows the interval the cloud asks for (10 s until it has said)
 * @param cloudTimeout how long an escalated inference may wait for the cloud before the edge answer
 *     is returned instead (default 2 s)
 * @param requestTimeout how long a control-plane call (enroll, heartbeat, desired state, sample
 *     upload) may take, and how long an artifact download may wait for its response to start
 *     (default 30 s)
 * @param connectTimeout how long connecting to the cloud may take (default 5 s)
 * @param backoffInitial the first retry delay after a failed call to the cloud (default 1 s); it
 *     doubles per failure, with jitter, up to {@code backoffMax}
 * @param backoffMax the longest retry delay (default 60 s)
 * @param telemetryInterval the length of one telemetry interval (default 10 s)
 * @param telemetryBufferBytes the cap on telemetry kept on disk while the cloud is unreachable
 *     (default 8 MiB); beyond it the oldest records are dropped
 * @param hardExampleQueue how many hard examples may wait for upload (default 16); more are dropped
 *     and counted
 * @param clock wall-clock time (telemetry intervals)
 * @param trainData the node's own training data for federated learning (IDX files or class
 *     folders), which needs the training module (DJL and PyTorch) on the class path; none on an
 *     inference-only edge
 */
public record EdgeConfig(
    URI cloud,
    Optional<URI> cloudInference,
    Optional<String> enrollToken,
    Path dataDir,
    Optional<String> cloudKey,
    String nodeName,
    Map<String, String> labels,
    ServingConfig serving,
    boolean inferenceAuth,
    boolean repositoryApi,
    Optional<Duration> pollInterval,
    Duration cloudTimeout,
    Duration requestTimeout,
    Duration connectTimeout,
    Duration backoffInitial,
    Duration backoffMax,
    Duration telemetryInterval,
    long telemetryBufferBytes,
    int hardExampleQueue,
    Clock clock,
    Optional<Path> trainData) {
  /**
   * Loopback, ports 8000 and 8001, request bodies up to 16 MiB: an agent's heap is small (the
   * launcher's lean defaults give it 64 MiB), and bodies are held in it.
   */
  public static final ServingConfig DEFAULT_SERVING =
      ServingConfig.defaults().withMaxRequestBytes(16 << 20);

  public EdgeConfig {
    checkCloudUrl(requireNonNull(cloud, "cloud"), "cloud");
    requireNonNull(cloudInference, "cloudInference")
        .ifPresent(u -> checkCloudUrl(u, "cloudInference"));
    requireNonNull(enrollToken, "enrollToken");
    requireNonNull(dataDir, "dataDir");
    requireNonNull(cloudKey, "cloudKey");
    Names.requireName(nodeName, "nodeName");
    labels = Names.requireTags(labels, "label");
    requireNonNull(serving, "serving");
    requireNonNull(pollInterval, "pollInterval").ifPresent(d -> positive(d, "pollInterval"));
    positive(cloudTimeout, "cloudTimeout");
    positive(requestTimeout, "requestTimeout");
    positive(connectTimeout, "connectTimeout");
    positive(backoffInitial, "backoffInitial");
    positive(backoffMax, "backoffMax");
    if (backoffMax.compareTo(backoffInitial) < 0) {
      throw StrataException.invalid(
          "backoffMax: %s (expected: >= backoffInitial %s)", backoffMax, backoffInitial);
    }
    positive(telemetryInterval, "telemetryInterval");
    if (telemetryBufferBytes < 64 * 1024) {
      throw StrataException.invalid(
          "telemetryBufferBytes: %d (expected: >= 65536)", telemetryBufferBytes);
    }
    if (hardExampleQueue < 1) {
      throw StrataException.invalid("hardExampleQueue: %d (expected: > 0)", hardExampleQueue);
    }
    requireNonNull(clock, "clock");
    requireNonNull(trainData, "trainData");
  }

  /** The defaults, talking to the cloud at {@code cloud}. */
  public static Builder builder(URI cloud) {
    return new Builder(cloud);
  }

  /** The default data directory, {@code ~/.strata/edge}. */
  public static Path defaultDataDir() {
    return Path.of(System.getProperty("user.home"), ".strata", "edge");
  }

  /** The host name made into a valid node name, or {@code edge} when there is none. */
  public static String defaultNodeName() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = System.getenv().getOrDefault("HOSTNAME", "edge");
    }
    String name = host.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "-");
    name = name.replaceAll("^[^a-z0-9]+", "");
    if (name.length() > 128) {
      name = name.substring(0, 128);
    }
    return name.isEmpty() ? "edge" : name;
  }

  /** Where escalated requests go: {@link #cloudInference()} or the cloud itself. */
  public URI inferenceUrl() {
    return cloudInference.orElse(cloud);
  }

  private static void checkCloudUrl(URI url, String what) {
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
      throw StrataException.invalid("%s: '%s' (expected: http://host:port)", what, url);
    }
  }

  private static void positive(Duration d, String what) {
    requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) {
      throw StrataException.invalid("%s: %s (expected: > 0)", what, d);
    }
  }

  /** Never shows the enrollment token. */
  @Override
  public String toString() {
    return "EdgeConfig[cloud="
        + cloud
        + ", cloudInference="
        + cloudInference
        + ", enrollToken="
        + (enrollToken.isPresent() ? "***" : "none")
        + ", dataDir="
        + dataDir
        + ", cloudKey="
        + (cloudKey.isPresent() ? "given" : "pinned at enrollment")
        + ", nodeName="
        + nodeName
        + ", labels="
        + labels
        + ", serving="
        + serving
        + ", inferenceAuth="
        + inferenceAuth
        + ", repositoryApi="
        + repositoryApi
        + ", pollInterval="
        + pollInterval
        + ", cloudTimeout="
        + cloudTimeout
        + "]";
  }

  /** Builds an {@link EdgeConfig}; every setting starts at its documented default. */
  public static final class Builder {
    private final URI cloud;
    private Optional<URI> cloudInference = Optional.empty();
    private Optional<String> enrollToken = Optional.empty();
    private Path dataDir = defaultDataDir();
    private Optional<String> cloudKey = Optional.empty();
    private String nodeName;
    private Map<String, String> labels = Map.of();
    private ServingConfig serving = DEFAULT_SERVING;
    private boolean inferenceAuth;
    private boolean repositoryApi;
    private Optional<Duration> pollInterval = Optional.empty();
    private Duration cloudTimeout = Duration.ofSeconds(2);
    private Duration requestTimeout = Duration.ofSeconds(30);
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration backoffInitial = Duration.ofSeconds(1);
    private Duration backoffMax = Duration.ofSeconds(60);
    private Duration telemetryInterval = Duration.ofSeconds(10);
    private long telemetryBufferBytes = 8L << 20;
    private int hardExampleQueue = 16;
    private Clock clock = Clock.systemUTC();
    private Optional<Path> trainData = Optional.empty();

    private Builder(URI cloud) {
      this.cloud = requireNonNull(cloud, "cloud");
    }

    public Builder cloudInference(URI value) {
      this.cloudInference = Optional.of(value);
      return this;
    }

    public Builder enrollToken(String value) {
      this.enrollToken = Optional.of(value);
      return this;
    }

    public Builder dataDir(Path value) {
      this.dataDir = requireNonNull(value, "dataDir");
      return this;
    }

    public Builder cloudKey(String value) {
      this.cloudKey = Optional.of(value);
      return this;
    }

    public Builder nodeName(String value) {
      this.nodeName = requireNonNull(value, "nodeName");
      return this;
    }

    public Builder labels(Map<String, String> value) {
      this.labels = requireNonNull(value, "labels");
      return this;
    }

    public Builder serving(ServingConfig value) {
      this.serving = requireNonNull(value, "serving");
      return this;
    }

    public Builder inferenceAuth(boolean value) {
      this.inferenceAuth = value;
      return this;
    }

    public Builder repositoryApi(boolean value) {
      this.repositoryApi = value;
      return this;
    }

    public Builder pollInterval(Duration value) {
      this.pollInterval = Optional.of(value);
      return this;
    }

    public Builder cloudTimeout(Duration value) {
      this.cloudTimeout = value;
      return this;
    }

    public Builder requestTimeout(Duration value) {
      this.requestTimeout = value;
      return this;
    }

    public Builder connectTimeout(Duration value) {
      this.connectTimeout = value;
      return this;
    }

    public Builder backoff(Duration initial, Duration max) {
      this.backoffInitial = initial;
      this.backoffMax = max;
      return this;
    }

    public Builder telemetryInterval(Duration value) {
      this.telemetryInterval = value;
      return this;
    }

    public Builder telemetryBufferBytes(long value) {
      this.telemetryBufferBytes = value;
      return this;
    }

    public Builder hardExampleQueue(int value) {
      this.hardExampleQueue = value;
      return this;
    }

    /** Local training data for federated learning (needs the training module). */
    public Builder trainData(Path value) {
      this.trainData = Optional.of(requireNonNull(value, "trainData"));
      return this;
    }

    public Builder clock(Clock value) {
      this.clock = requireNonNull(value, "clock");
      return this;
    }

    public EdgeConfig build() {
      return new EdgeConfig(
          cloud,
          cloudInference,
          enrollToken,
          dataDir,
          cloudKey,
          nodeName != null ? nodeName : defaultNodeName(),
          labels,
          serving,
          inferenceAuth,
          repositoryApi,
          pollInterval,
          cloudTimeout,
          requestTimeout,
          connectTimeout,
          backoffInitial,
          backoffMax,
          telemetryInterval,
          telemetryBufferBytes,
          hardExampleQueue,
          clock,
          trainData);
    }
  }
}
