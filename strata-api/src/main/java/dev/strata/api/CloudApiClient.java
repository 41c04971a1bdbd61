package dev.strata.api;

import static dev.strata.api.ApiPaths.deploymentPath;
import static dev.strata.api.ApiPaths.encode;
import static dev.strata.api.ApiPaths.segment;
import static dev.strata.api.ApiPaths.versionPath;
import static dev.strata.api.ApiPaths.window;
import static java.util.Objects.requireNonNull;

import dev.strata.control.DesiredState;
import dev.strata.control.EnrollRequest;
import dev.strata.control.Enrollment;
import dev.strata.control.Heartbeat;
import dev.strata.control.HeartbeatResponse;
import dev.strata.control.Json;
import dev.strata.control.SampleUpload;
import dev.strata.control.Sha256;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * The Java client of the cloud's API ({@code /api/v1}, see docs/api.md): the management endpoints
 * for tools, tests, benchmarks and the demo, and the node endpoints for the edge agent. Requests
 * and answers are this module's and strata-control's records, as the server reads and writes them.
 * Every failure is a {@link StrataException}: with the server's error code and message when the
 * cloud answered with an error, UNAVAILABLE when it cannot be reached, DEADLINE_EXCEEDED when a
 * call takes longer than the timeout. Thread-safe; {@link #close()} releases its connections.
 * {@link #withToken} gives a client with another bearer token over the same connections (a node's
 * credential after enrollment, an API key).
 *
 * <pre>{@code
 * try (CloudApiClient cloud = CloudApiClient.create(URI.create("http://127.0.0.1:8080"), token)) {
 *   Artifact a = cloud.uploadArtifact(Path.of("model.onnx"));
 *   cloud.createModel(CreateModelRequest.of("fashion-cnn"));
 *   long v = cloud.createVersion("fashion-cnn", CreateVersionRequest.EMPTY).version();
 *   cloud.addVariant("fashion-cnn", v, CreateVariantRequest.onnx("fp32", a.sha256()));
 *   cloud.applyDeployment("fashion-cnn", DeploymentSpec.cloud("fashion-cnn", v, "fp32"));
 * }
 * }</pre>
 */
public final class CloudApiClient implements AutoCloseable {
  /** The request header announcing an upload's SHA-256 (verified by the cloud). */
  public static final String SHA256_HEADER = "X-Strata-Sha256";

  private final Transport http;

  private CloudApiClient(Transport http) {
    this.http = http;
  }

  /** A client of the cloud at {@code baseUrl} ({@code http://host:port}) with a bearer token. */
  public static CloudApiClient create(URI baseUrl, String token) {
    return builder(baseUrl).token(token).build();
  }

  public static Builder builder(URI baseUrl) {
    return new Builder(baseUrl);
  }

  /** The cloud's base URL. */
  public URI baseUrl() {
    return http.base();
  }

  /**
   * A client that sends {@code token} instead, over this one's connections and with its settings.
   * Closing it does nothing: closing this one closes both.
   */
  public CloudApiClient withToken(String token) {
    return new CloudApiClient(http.withToken(Builder.requireToken(token)));
  }

  // ---- models, versions, variants

  /** {@code POST /api/v1/models}; ALREADY_EXISTS when the name is taken. */
  public Model createModel(CreateModelRequest request) {
    return http.call("POST", "/api/v1/models", requireNonNull(request, "request"), Model.class);
  }

  /** {@code GET /api/v1/models/{model}}; NOT_FOUND when unknown. */
  public Model model(String name) {
    return http.call("GET", "/api/v1/models/" + segment(name), null, Model.class);
  }

  /** The model, or empty when the cloud does not know it. */
  public Optional<Model> findModel(String name) {
    return ifFound(() -> model(name));
  }

  public List<Model> models() {
    return http.items("/api/v1/models", Model.class);
  }

  /** {@code POST /api/v1/models/{model}/versions}: the next version, in stage staging. */
  public ModelVersion createVersion(String model, CreateVersionRequest request) {
    return http.call(
        "POST",
        "/api/v1/models/" + segment(model) + "/versions",
        requireNonNull(request, "request"),
        ModelVersion.class);
  }

  public ModelVersion version(String model, long version) {
    return http.call("GET", versionPath(model, version), null, ModelVersion.class);
  }

  /** The model's versions with their variants, newest first. */
  public List<ModelVersion> versions(String model) {
    return http.items("/api/v1/models/" + segment(model) + "/versions", ModelVersion.class);
  }

  /** {@code PATCH} a version's stage or tags. */
  public ModelVersion updateVersion(String model, long version, UpdateVersionRequest request) {
    return http.call(
        "PATCH",
        versionPath(model, version),
        requireNonNull(request, "request"),
        ModelVersion.class);
  }

  /**
   * Adds a variant whose artifact is uploaded already; the answer carries the cloud-signed
   * manifest. ALREADY_EXISTS when the version has a variant of that name (variants are immutable).
   */
  public Variant addVariant(String model, long version, CreateVariantRequest request) {
    return http.call(
        "POST",
        versionPath(model, version) + "/variants",
        requireNonNull(request, "request"),
        Variant.class);
  }

  public Variant variant(String model, long version, String variant) {
    return http.call(
        "GET", versionPath(model, version) + "/variants/" + segment(variant), null, Variant.class);
  }

  // ---- artifacts

  /**
   * Uploads a file as an artifact, streamed from disk: its SHA-256 is computed first and sent in
   * {@value #SHA256_HEADER}, so the cloud verifies what it stored and answers at once, without
   * storing anything, when it holds that content already.
   */
  public Artifact uploadArtifact(Path file) {
    return uploadArtifact(file, sha256(file));
  }

  /** Uploads a file whose SHA-256 is known; INVALID_ARGUMENT when the content does not match. */
  public Artifact uploadArtifact(Path file, String sha256) {
    requireNonNull(file, "file");
    Sha256.requireValid(sha256, "sha256");
    HttpRequest.BodyPublisher body;
    try {
      body = HttpRequest.BodyPublishers.ofFile(file);
    } catch (IOException e) {
      throw StrataException.invalid("artifact file %s: %s", file, e.getMessage());
    }
    return http.upload(
        "/api/v1/artifacts",
        "application/octet-stream",
        body,
        Map.of(SHA256_HEADER, sha256),
        Artifact.class);
  }

  /**
   * Uploads {@code size} bytes read from the stream {@code body} supplies (opened when the request
   * is sent), announcing their SHA-256; INVALID_ARGUMENT when the content does not match.
   */
  public Artifact uploadArtifact(Supplier<InputStream> body, long size, String sha256) {
    requireNonNull(body, "body");
    Sha256.requireValid(sha256, "sha256");
    if (size < 1) {
      throw StrataException.invalid("size: %d (expected: > 0)", size);
    }
    return http.upload(
        "/api/v1/artifacts",
        "application/octet-stream",
        HttpRequest.BodyPublishers.fromPublisher(
            HttpRequest.BodyPublishers.ofInputStream(body), size),
        Map.of(SHA256_HEADER, sha256),
        Artifact.class);
  }

  /** Uploads bytes held in memory as an artifact, announcing their SHA-256. */
  public Artifact uploadArtifact(byte[] content) {
    requireNonNull(content, "content");
    return http.upload(
        "/api/v1/artifacts",
        "application/octet-stream",
        HttpRequest.BodyPublishers.ofByteArray(content),
        Map.of(SHA256_HEADER, Sha256.hex(content)),
        Artifact.class);
  }

  /** Whether the cloud stores an artifact with this digest ({@code HEAD}). */
  public boolean hasArtifact(String sha256) {
    Sha256.requireValid(sha256, "sha256");
    return http.head("/api/v1/artifacts/" + sha256);
  }

  /** The SHA-256 of a file as the registry names artifacts: 64 lowercase hex characters. */
  public static String sha256(Path file) {
    requireNonNull(file, "file");
    MessageDigest digest = Sha256.newDigest();
    byte[] buffer = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    } catch (IOException e) {
      throw StrataException.invalid("artifact file %s: %s", file, e.getMessage());
    }
    return Sha256.hex(digest);
  }

  // ---- credentials and fleet

  /** A one-time enrollment token (its secret is in the answer only). */
  public IssuedEnrollmentToken createEnrollmentToken(CreateEnrollmentTokenRequest request) {
    return http.call(
        "POST",
        "/api/v1/enrollment-tokens",
        requireNonNull(request, "request"),
        IssuedEnrollmentToken.class);
  }

  /** Every enrollment token, used or not (without their secrets). */
  public List<EnrollmentToken> enrollmentTokens() {
    return http.items("/api/v1/enrollment-tokens", EnrollmentToken.class);
  }

  /** An API key (its secret is in the answer only). */
  public IssuedApiKey createApiKey(CreateApiKeyRequest request) {
    return http.call(
        "POST", "/api/v1/api-keys", requireNonNull(request, "request"), IssuedApiKey.class);
  }

  /** Every enrolled node. */
  public List<Node> nodes() {
    return http.items("/api/v1/nodes", Node.class);
  }

  /** The nodes a label selector matches ({@code site=a,tier in (gw,edge)}). */
  public List<Node> nodes(String selector) {
    requireNonNull(selector, "selector");
    return http.items("/api/v1/nodes?selector=" + encode(selector), Node.class);
  }

  /** Node counts by liveness. */
  public FleetSummary fleetSummary() {
    return http.call("GET", "/api/v1/nodes:summary", null, FleetSummary.class);
  }

  /** A node's last heartbeat next to its desired state. */
  public NodeView node(String id) {
    return http.call("GET", "/api/v1/nodes/" + segment(id), null, NodeView.class);
  }

  /** Removes a node and revokes its credential. */
  public void deleteNode(String id) {
    http.call("DELETE", "/api/v1/nodes/" + segment(id), null, Void.class);
  }

  // ---- deployments

  /**
   * {@code PUT /api/v1/deployments/{name}}: creates the deployment or rolls out a new revision. The
   * same content as the active revision makes no new revision (idempotent).
   */
  public Deployment applyDeployment(String name, DeploymentSpec spec) {
    return http.call("PUT", deploymentPath(name), requireNonNull(spec, "spec"), Deployment.class);
  }

  public Deployment deployment(String name) {
    return http.call("GET", deploymentPath(name), null, Deployment.class);
  }

  /** The deployment, or empty when there is none of that name. */
  public Optional<Deployment> findDeployment(String name) {
    return ifFound(() -> deployment(name));
  }

  public List<Deployment> deployments() {
    return http.items("/api/v1/deployments", Deployment.class);
  }

  /** A deployment's revisions, newest first. */
  public List<Revision> revisions(String name) {
    return http.items(deploymentPath(name) + "/revisions", Revision.class);
  }

  /** Each matching node's desired and reported revision. */
  public DeploymentStatus deploymentStatus(String name) {
    return http.call("GET", deploymentPath(name) + "/status", null, DeploymentStatus.class);
  }

  /** Promotes the canary revision to every node; FAILED_PRECONDITION without a canary. */
  public Deployment promote(String name) {
    return http.call("POST", deploymentPath(name) + ":promote", null, Deployment.class);
  }

  /**
   * Aborts a canary, or returns to the previous revision; FAILED_PRECONDITION when there is nothing
   * to roll back to.
   */
  public Deployment rollback(String name, Optional<String> reason) {
    requireNonNull(reason, "reason");
    return http.call(
        "POST",
        deploymentPath(name) + ":rollback",
        reason.isPresent() ? Map.of("reason", reason.get()) : Map.of(),
        Deployment.class);
  }

  public void deleteDeployment(String name) {
    http.call("DELETE", deploymentPath(name), null, Void.class);
  }

  /** What the cloud itself serves next to its cloud deployments. */
  public CloudStatus cloudStatus() {
    return http.call("GET", "/api/v1/cloud/status", null, CloudStatus.class);
  }

  // ---- telemetry

  /** A node's telemetry records ending in the query's window, oldest first. */
  public List<StoredTelemetry> nodeTelemetry(String nodeId, TelemetryQuery query) {
    requireNonNull(query, "query");
    List<String> params = window(query.window());
    query.deployment().ifPresent(d -> params.add("deployment=" + encode(d)));
    params.add("limit=" + query.limit());
    return http.items(
        "/api/v1/nodes/" + segment(nodeId) + "/telemetry?" + String.join("&", params),
        StoredTelemetry.class);
  }

  /** A deployment's telemetry over {@code window}, per node and in total. */
  public DeploymentTelemetry deploymentTelemetry(String name, TelemetryWindow window) {
    List<String> params = window(requireNonNull(window, "window"));
    return http.call(
        "GET",
        deploymentPath(name)
            + "/telemetry"
            + (params.isEmpty() ? "" : "?" + String.join("&", params)),
        null,
        DeploymentTelemetry.class);
  }

  // ---- hard examples

  /** The first {@code limit} (1-1000) samples of a deployment, oldest first. */
  public List<Sample> samples(String deployment, int limit) {
    return http.items(deploymentPath(deployment) + "/samples?limit=" + limit, Sample.class);
  }

  /** How many samples a deployment holds and their bytes. */
  public SampleUsage sampleUsage(String deployment) {
    return http.call("GET", deploymentPath(deployment) + "/samples:usage", null, SampleUsage.class);
  }

  /** A sample's input bytes, as the node uploaded them. */
  public byte[] sampleInput(String id) {
    String path = "/api/v1/samples/" + segment(id) + "/input";
    return http.bytes(path);
  }

  // ---- the node endpoints: the edge agent's side (a node credential as token, see withToken)

  /** {@code GET /api/v1/signing-key} (public): the key edges verify manifests with. */
  public SigningKey signingKey() {
    return http.call("GET", "/api/v1/signing-key", null, SigningKey.class);
  }

  /**
   * {@code POST /api/v1/nodes/enroll} (public: the one-time token is in the request); the answer
   * carries the node's credential. UNAUTHENTICATED for an unknown, used or expired token.
   */
  public Enrollment enroll(EnrollRequest request) {
    return http.call(
        "POST", "/api/v1/nodes/enroll", requireNonNull(request, "request"), Enrollment.class);
  }

  /** {@link #enroll} without waiting. */
  public CompletableFuture<Enrollment> enrollAsync(EnrollRequest request) {
    return http.callAsync(
        "POST", "/api/v1/nodes/enroll", requireNonNull(request, "request"), Enrollment.class);
  }

  /**
   * {@code POST /api/v1/nodes/self/heartbeat}: the node's state; answers the desired state's ETag.
   */
  public HeartbeatResponse heartbeat(Heartbeat heartbeat) {
    return http.call(
        "POST",
        "/api/v1/nodes/self/heartbeat",
        requireNonNull(heartbeat, "heartbeat"),
        HeartbeatResponse.class);
  }

  /** {@link #heartbeat} without waiting. */
  public CompletableFuture<HeartbeatResponse> heartbeatAsync(Heartbeat heartbeat) {
    return http.callAsync(
        "POST",
        "/api/v1/nodes/self/heartbeat",
        requireNonNull(heartbeat, "heartbeat"),
        HeartbeatResponse.class);
  }

  /**
   * {@code GET /api/v1/nodes/self/desired-state}: the node's desired state, or empty when it is
   * still the one of ETag {@code ifNoneMatch} (304).
   */
  public Optional<DesiredState> desiredState(Optional<String> ifNoneMatch) {
    return DesiredStates.read(
        http.send("GET", DesiredStates.PATH, DesiredStates.request(http, ifNoneMatch)));
  }

  /** {@link #desiredState} without waiting. */
  public CompletableFuture<Optional<DesiredState>> desiredStateAsync(Optional<String> ifNoneMatch) {
    return http.sendAsync("GET", DesiredStates.PATH, DesiredStates.request(http, ifNoneMatch))
        .thenApply(DesiredStates::read);
  }

  /**
   * Downloads an artifact into {@code partial}, continuing from the bytes it already holds with a
   * {@code Range} request; the bytes received are kept when the transfer breaks off, so that the
   * next call resumes. A server that ignores the range (200) rewrites the file from the start. A
   * body that stops flowing for the timeout is abandoned (and resumed by the next call). The caller
   * verifies what arrived.
   *
   * @throws IOException when the transfer breaks off or the file cannot be written
   * @throws StrataException when the cloud cannot be reached or refuses (its error code)
   */
  public void downloadArtifact(String sha256, Path partial, long size) throws IOException {
    requireNonNull(sha256, "sha256");
    requireNonNull(partial, "partial");
    if (size < 0) {
      throw StrataException.invalid("size: %d (expected: >= 0)", size);
    }
    new ArtifactDownload(http, segment(sha256), partial, size).run();
  }

  /**
   * {@code POST /api/v1/nodes/self/samples}: a hard example, as a multipart body with the metadata
   * JSON and the input bytes.
   */
  public Sample uploadSample(SampleUpload upload, byte[] input) {
    requireNonNull(upload, "upload");
    requireNonNull(input, "input");
    MultipartBody body =
        new MultipartBody()
            .part("metadata", Optional.empty(), "application/json", Json.writeBytes(upload))
            .part("input", Optional.of("input"), upload.contentType(), input);
    return http.upload(
        "/api/v1/nodes/self/samples",
        body.contentType(),
        HttpRequest.BodyPublishers.ofByteArray(body.bytes()),
        Map.of(),
        Sample.class);
  }

  /** The status and body of a call made with {@link #exchange}. */
  public record Exchange(int status, byte[] body) {}

  /**
   * A call to an endpoint of a module that brings its own records (federated learning): {@code
   * body} as {@code contentType} (none when null), the answer's status and bytes; a 4xx or 5xx is
   * the {@link StrataException} of its error body, as for every other call.
   */
  public Exchange exchange(String method, String path, String contentType, byte[] body) {
    HttpRequest.Builder b =
        http.request(path)
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
    if (body != null) {
      b.header("Content-Type", contentType);
    }
    var r = http.send(method, path, b.build());
    if (r.statusCode() / 100 != 2) {
      throw Transport.error(method, path, r.statusCode(), r.body());
    }
    return new Exchange(r.statusCode(), r.body());
  }

  @Override
  public void close() {
    http.close();
  }

  private static <T> Optional<T> ifFound(Supplier<T> call) {
    try {
      return Optional.of(call.get());
    } catch (StrataException e) {
      if (e.code() == ErrorCode.NOT_FOUND) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /**
   * Builds a {@link CloudApiClient}.
   *
   * <ul>
   *   <li>{@code token}: the bearer token (the admin token, an API key or, for the node endpoints,
   *       a node credential); none for the public endpoints only
   *   <li>{@code timeout}: per call, uploads included (default 60 s)
   *   <li>{@code connectTimeout}: default 5 s
   *   <li>{@code sslContext}: for a cloud serving HTTPS with a certificate the JDK does not trust
   *   <li>{@code executor}: where the HTTP client runs its work and completes the {@code *Async}
   *       calls (default: its own threads)
   * </ul>
   */
  public static final class Builder {
    private final URI base;
    private Optional<String> token = Optional.empty();
    private Duration timeout = Duration.ofSeconds(60);
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Optional<SSLContext> sslContext = Optional.empty();
    private Optional<Executor> executor = Optional.empty();

    private Builder(URI base) {
      this.base = requireNonNull(base, "baseUrl");
      String scheme = base.getScheme() == null ? "" : base.getScheme();
      if (!(scheme.equals("http") || scheme.equals("https")) || base.getHost() == null) {
        throw StrataException.invalid("cloud URL: '%s' (expected: http://host:port)", base);
      }
    }

    public Builder token(String value) {
      this.token = Optional.of(requireToken(value));
      return this;
    }

    static String requireToken(String value) {
      if (requireNonNull(value, "token").isBlank()) {
        throw StrataException.invalid("token: empty (expected: a bearer token)");
      }
      return value;
    }

    public Builder timeout(Duration value) {
      this.timeout = positive(value, "timeout");
      return this;
    }

    public Builder connectTimeout(Duration value) {
      this.connectTimeout = positive(value, "connectTimeout");
      return this;
    }

    public Builder sslContext(SSLContext value) {
      this.sslContext = Optional.of(requireNonNull(value, "sslContext"));
      return this;
    }

    public Builder executor(Executor value) {
      this.executor = Optional.of(requireNonNull(value, "executor"));
      return this;
    }

    private static Duration positive(Duration d, String what) {
      requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) {
        throw StrataException.invalid("%s: %s (expected: > 0)", what, d);
      }
      return d;
    }

    public CloudApiClient build() {
      return new CloudApiClient(
          new Transport(base, token, timeout, connectTimeout, sslContext, executor));
    }
  }
}
