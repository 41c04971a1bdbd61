package dev.strata.edge;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.api.CreateEnrollmentTokenRequest;
import dev.strata.api.CreateModelRequest;
import dev.strata.api.CreateVariantRequest;
import dev.strata.api.CreateVersionRequest;
import dev.strata.api.Deployment;
import dev.strata.api.DeploymentSpec;
import dev.strata.api.ModelVersion;
import dev.strata.api.Variant;
import dev.strata.control.DesiredState;
import dev.strata.control.EnrollRequest;
import dev.strata.control.Heartbeat;
import dev.strata.control.Json;
import dev.strata.control.SampleUpload;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.registry.Registry;
import dev.strata.registry.RegistryConfig;
import dev.strata.registry.artifact.ArtifactContent;
import dev.strata.registry.auth.NodePrincipal;
import dev.strata.registry.fleet.FleetSettings;
import dev.strata.runtime.ModelManager;
import dev.strata.runtime.RuntimeConfig;
import dev.strata.serving.HttpCall;
import dev.strata.serving.HttpHandler;
import dev.strata.serving.HttpResult;
import dev.strata.serving.HttpRoutes;
import dev.strata.serving.ServingConfig;
import dev.strata.serving.StrataServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A thin cloud for tests: the node endpoints of docs/api.md over the real registry services (SQLite
 * in a temporary directory), plus the cloud's own /v2 serving of the models in {@code
 * <dir>/cloud-models}. It can be stopped and started again on the same port, and can tamper with
 * what it sends.
 */
final class FakeCloud implements AutoCloseable {
  private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");

  final Registry registry;
  final Path cloudModels;
  final CopyOnWriteArrayList<Heartbeat> heartbeats = new CopyOnWriteArrayList<>();
  final CopyOnWriteArrayList<String> rangeRequests = new CopyOnWriteArrayList<>();
  final AtomicInteger desiredStateFetches = new AtomicInteger();
  volatile UnaryOperator<DesiredState> desiredStateFilter = UnaryOperator.identity();
  volatile UnaryOperator<byte[]> artifactFilter = UnaryOperator.identity();
  private StrataServer server;
  private int port;

  private FakeCloud(Path dir) throws IOException {
    FleetSettings fast =
        new FleetSettings(
            Duration.ofMillis(100),
            Duration.ofSeconds(5),
            Duration.ofSeconds(10),
            Duration.ofSeconds(1),
            Duration.ofHours(1));
    this.registry =
        Registry.open(
            RegistryConfig.defaults(dir.resolve("registry")).withFleet(fast), Clock.systemUTC());
    registry.fleet().addListener((node, hb) -> heartbeats.add(hb));
    this.cloudModels = Files.createDirectories(dir.resolve("cloud-models"));
  }

  /** Opens the registry and starts serving on a free port, with these models on its /v2. */
  static FakeCloud start(Path dir, Map<String, byte[]> cloudModels) throws IOException {
    FakeCloud c = new FakeCloud(dir);
    cloudModels.forEach(c::serveInCloud);
    c.startServer(0);
    return c;
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + port);
  }

  int port() {
    return port;
  }

  /** Stops serving (connections are refused); the registry stays. */
  void stop() {
    if (server != null) {
      server.close();
      server = null;
    }
  }

  /** Serves again on the same port. */
  void restart() {
    int p = port;
    await()
        .atMost(Duration.ofSeconds(20))
        .ignoreExceptions()
        .until(
            () -> {
              startServer(p);
              return true;
            });
  }

  private void startServer(int p) {
    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ModelManager models =
        ModelManager.create(RuntimeConfig.builder(cloudModels).meterRegistry(metrics).build());
    models.startup().join();
    try {
      server =
          StrataServer.start(
              ServingConfig.ephemeral().withPorts(p, -1).withDrainTimeout(Duration.ofSeconds(2)),
              models,
              metrics,
              routes());
    } catch (RuntimeException e) {
      models.close();
      throw e;
    }
    port = server.httpPort();
  }

  @Override
  public void close() {
    stop();
    registry.close();
  }

  // ---- test helpers -------------------------------------------------------------------------

  String enrollmentToken(Map<String, String> labels) {
    return registry
        .fleet()
        .createEnrollmentToken(CreateEnrollmentTokenRequest.withLabels(labels))
        .token();
  }

  /** Registers a new version of {@code model} with one variant of these bytes. */
  Variant publish(String model, String variant, byte[] onnx) {
    try {
      registry.models().model(model);
    } catch (StrataException e) {
      registry.models().createModel(CreateModelRequest.of(model));
    }
    ModelVersion v = registry.models().createVersion(model, CreateVersionRequest.EMPTY);
    String sha =
        registry.models().uploadArtifact(new ByteArrayInputStream(onnx), Optional.empty()).sha256();
    return registry
        .models()
        .addVariant(model, v.version(), CreateVariantRequest.onnx(variant, sha));
  }

  Deployment deploy(String name, DeploymentSpec spec) {
    return registry.deployments().apply(name, spec);
  }

  private void serveInCloud(String model, byte[] onnx) {
    try {
      Path f =
          Files.createDirectories(cloudModels.resolve(model).resolve("1")).resolve("model.onnx");
      Files.write(f, onnx);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---- the node endpoints of docs/api.md ----------------------------------------------------

  private HttpRoutes routes() {
    return HttpRoutes.create()
        .get(
            "/api/v1/signing-key",
            api(
                call -> {
                  ObjectNode key = Json.mapper().createObjectNode();
                  key.put("keyId", registry.signer().keyId());
                  key.put("algorithm", "Ed25519");
                  key.put("publicKey", registry.signer().publicKeyBase64());
                  return json(200, key);
                }))
        .post(
            "/api/v1/nodes/enroll",
            api(
                call ->
                    json(201, registry.nodes().enroll(Json.read(text(call), EnrollRequest.class)))))
        .post(
            "/api/v1/nodes/self/heartbeat",
            api(
                call ->
                    json(
                        200,
                        registry
                            .nodes()
                            .heartbeat(node(call), Json.read(text(call), Heartbeat.class)))))
        .get(
            "/api/v1/nodes/self/desired-state",
            api(
                call -> {
                  desiredStateFetches.incrementAndGet();
                  Optional<String> ifNoneMatch =
                      call.header("If-None-Match").map(v -> v.replace("\"", "").trim());
                  Optional<DesiredState> state =
                      registry.nodes().desiredState(node(call), ifNoneMatch);
                  if (state.isEmpty()) {
                    return new HttpResult(304, HttpResult.JSON, Map.of(), List.of());
                  }
                  DesiredState s = desiredStateFilter.apply(state.get());
                  return new HttpResult(
                      200,
                      HttpResult.JSON,
                      Map.of("ETag", "\"" + s.etag() + "\""),
                      List.of(ByteBuffer.wrap(Json.writeBytes(s))));
                }))
        .get("/api/v1/artifacts/{sha256}", api(this::artifact))
        .post("/api/v1/nodes/self/samples", api(this::sample));
  }

  private HttpResult artifact(HttpCall call) throws IOException {
    NodePrincipal node = node(call);
    String sha = call.pathParam("sha256");
    long offset = 0;
    long length = Long.MAX_VALUE;
    Optional<String> range = call.header("Range");
    range.ifPresent(rangeRequests::add);
    if (range.isPresent()) {
      Matcher m = RANGE.matcher(range.get());
      if (!m.matches()) {
        throw StrataException.invalid("Range: %s", range.get());
      }
      offset = Long.parseLong(m.group(1));
      if (!m.group(2).isEmpty()) {
        length = Long.parseLong(m.group(2)) - offset + 1;
      }
    }
    byte[] whole;
    long size;
    try (ArtifactContent all = registry.nodes().artifact(node, sha, 0, Long.MAX_VALUE)) {
      whole = artifactFilter.apply(all.stream().readAllBytes());
      size = all.artifact().size();
    }
    if (offset >= size && size > 0) {
      return new HttpResult(
          416, HttpResult.TEXT, Map.of("Content-Range", "bytes */" + size), List.of());
    }
    int n = (int) Math.min(length, whole.length - offset);
    ByteBuffer body = ByteBuffer.wrap(whole, (int) offset, n);
    if (range.isEmpty()) {
      return new HttpResult(
          200, HttpResult.OCTET_STREAM, Map.of("ETag", "\"" + sha + "\""), List.of(body));
    }
    return new HttpResult(
        206,
        HttpResult.OCTET_STREAM,
        Map.of("Content-Range", "bytes " + offset + "-" + (offset + n - 1) + "/" + size),
        List.of(body));
  }

  private HttpResult sample(HttpCall call) throws IOException {
    NodePrincipal node = node(call);
    String type = call.header("Content-Type").orElse("");
    String boundary = type.substring(type.indexOf("boundary=") + 9);
    Map<String, byte[]> parts = Multipart.parse(bytes(call), boundary);
    SampleUpload upload =
        Json.read(new String(parts.get("metadata"), StandardCharsets.UTF_8), SampleUpload.class);
    return json(
        201, registry.samples().upload(node, upload, new ByteArrayInputStream(parts.get("input"))));
  }

  private NodePrincipal node(HttpCall call) {
    String auth = call.header("Authorization").orElse("");
    if (!auth.startsWith("Bearer ")) {
      throw new StrataException(ErrorCode.UNAUTHENTICATED, "missing credentials");
    }
    return registry.authenticator().requireNode(auth.substring(7));
  }

  /** A handler that answers errors in the API's form: {"error": {"code", "message"}}. */
  private interface Api {
    HttpResult handle(HttpCall call) throws Exception;
  }

  private static HttpHandler api(Api api) {
    return call -> {
      HttpResult r;
      try {
        r = api.handle(call);
      } catch (StrataException e) {
        ObjectNode body = Json.mapper().createObjectNode();
        ObjectNode error = body.putObject("error");
        error.put("code", e.code().name());
        error.put("message", e.getMessage());
        r = json(e.code().httpStatus(), body);
      }
      return CompletableFuture.completedFuture(r);
    };
  }

  private static HttpResult json(int status, Object value) {
    return HttpResult.json(status, Json.writeBytes(value));
  }

  private static byte[] bytes(HttpCall call) {
    ByteBuffer b = call.body().duplicate();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  private static String text(HttpCall call) {
    return new String(bytes(call), StandardCharsets.UTF_8);
  }
}
