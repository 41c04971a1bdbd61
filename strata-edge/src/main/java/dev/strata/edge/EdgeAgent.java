package dev.strata.edge;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.api.CloudApiClient;
import dev.strata.control.DesiredState;
import dev.strata.control.Json;
import dev.strata.control.ManifestVerifier;
import dev.strata.core.StrataException;
import dev.strata.federated.TrainingModule;
import dev.strata.llm.openai.OpenAiRoutes;
import dev.strata.runtime.ModelManager;
import dev.strata.runtime.RuntimeConfig;
import dev.strata.runtime.backend.Backends;
import dev.strata.runtime.install.Backoff;
import dev.strata.runtime.install.ModelInstaller;
import dev.strata.serving.RequestAuthorizer;
import dev.strata.serving.StrataServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge agent: serves the Open Inference Protocol locally from the models its cloud assigns, and
 * keeps serving them when the cloud is gone.
 *
 * <p>{@link #start} restores what the data directory says was served (verifying every artifact
 * again), starts the runtime and the local server over it (ready without the cloud), then starts
 * talking to the cloud in the background: enrollment, heartbeats, desired state, downloads and hot
 * swaps, telemetry and hard examples. See {@link EdgeConfig} for the settings and {@code DataDir}
 * for what lives where on disk.
 */
public final class EdgeAgent implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EdgeAgent.class);

  /** What load and unload answer without {@code --repository-api}. */
  static final String CONTROL_OFF =
      "model control is off on this server: an edge changes its models only by the cloud's signed"
          + " deployments (start it with --repository-api to allow load and unload)";

  /** How often a node with training data asks the cloud for a federated task. */
  static final Duration FEDERATED_POLL = Duration.ofSeconds(2);

  /** How often the reconciler checks that every deployed model is still served. */
  static final Duration CHECK_INTERVAL = Duration.ofSeconds(5);

  private final EdgeConfig config;
  private final DataDir dir;
  private final IdentityHolder identity;
  private final ModelManager runtime;
  private final CollaborativeInferenceService service;
  private final StrataServer server;
  private final CloudApiClient api;
  private final CloudClient cloud;
  private final TelemetryCollector telemetry;
  private final HardExampleUploader samples;
  private final Reconciler reconciler;
  private final ControlLoop loop;
  private final Optional<TrainingModule.NodeTraining> federated;
  private final List<AutoCloseable> opened;

  private EdgeAgent(EdgeConfig config, List<AutoCloseable> opened) {
    if (config.trainData().isPresent() && !TrainingModule.present()) {
      throw new StrataException(
          dev.strata.core.ErrorCode.FAILED_PRECONDITION,
          "--train-data "
              + config.trainData().get()
              + ": this edge has no training module (DJL and PyTorch), so it cannot take part in"
              + " federated learning (expected: a distribution with strata-train, or no"
              + " --train-data)");
    }
    this.config = config;
    this.opened = opened;
    this.dir = track(opened, DataDir.open(config.dataDir()));
    this.identity = new IdentityHolder(dir.identity());
    ArtifactCache artifacts = new ArtifactCache(dir.artifacts());
    ModelInstaller installer = new ModelInstaller(dir.models(), Backends.builtIn());
    Optional<ManifestVerifier> verifier =
        identity.get().map(id -> ManifestVerifier.forPublicKey(id.manifestPublicKey()));
    AppliedState saved =
        StateFiles.read(dir.applied(), AppliedState.class).orElse(AppliedState.EMPTY);
    AppliedState restored = Restore.from(saved, artifacts, installer, verifier);
    Optional<DesiredState> target =
        StateFiles.read(dir.desired(), TargetState.class).map(TargetState::state);

    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    this.runtime =
        ModelManager.create(
            RuntimeConfig.builder(dir.models())
                .meterRegistry(registry)
                .drainTimeout(config.serving().drainTimeout())
                .clock(config.clock())
                .build());
    opened.add(runtime);
    this.api =
        track(
            opened,
            CloudApiClient.builder(config.cloud())
                .connectTimeout(config.connectTimeout())
                .timeout(config.requestTimeout())
                .build());
    this.cloud =
        track(
            opened,
            new CloudClient(
                config.inferenceUrl(),
                config.cloudTimeout(),
                config.connectTimeout(),
                identity.get().map(NodeIdentity::credential)));
    identity.onChange(id -> cloud.credential(id.credential()));
    Random random = new Random();
    this.telemetry =
        new TelemetryCollector(
            TelemetryLog.open(dir.telemetry(), config.telemetryBufferBytes()), config.clock());
    this.samples =
        track(
            opened,
            new HardExampleUploader(
                config.hardExampleQueue(),
                (upload, input) -> asNode().uploadSample(upload, input),
                new Backoff(config.backoffInitial(), config.backoffMax(), random)));
    this.service =
        new CollaborativeInferenceService(
            runtime, cloud, config.cloudTimeout(), InferenceListener.both(telemetry, samples));
    this.reconciler =
        track(
            opened,
            new Reconciler(
                dir,
                artifacts,
                installer,
                service,
                service,
                identity::get,
                (sha, partial, size) -> asNode().downloadArtifact(sha, partial, size),
                new Backoff(config.backoffInitial(), config.backoffMax(), random),
                CHECK_INTERVAL,
                telemetry,
                restored,
                target));
    service.notServedReason(reconciler::whyNotServed);
    RequestAuthorizer inference =
        config.inferenceAuth()
            ? InferenceTokens.open(dir.inferenceTokens())
            : RequestAuthorizer.allowAll();
    StrataServer.Builder serving =
        StrataServer.builder(config.serving(), service, registry)
            .routes(
                StatusRoutes.create(this::status)
                    .addAll(
                        OpenAiRoutes.create(
                            runtime,
                            registry,
                            inference,
                            track(
                                opened,
                                new OpenAiCloud(
                                    service,
                                    config.inferenceUrl(),
                                    config.connectTimeout(),
                                    () -> identity.get().map(NodeIdentity::credential),
                                    telemetry)))));
    if (config.repositoryApi()) {
      service.modelControl(reconciler);
      serving.modelControl(service.repositoryApi());
    } else {
      serving.repositoryControlOff(CONTROL_OFF);
    }
    if (config.inferenceAuth()) {
      serving.inferenceAuthorizer(inference);
    }
    this.server = serving.start();
    opened.remove(runtime); // the server owns it now
    this.loop =
        track(
            opened,
            new ControlLoop(
                config,
                api,
                identity,
                reconciler,
                telemetry,
                service,
                new Backoff(config.backoffInitial(), config.backoffMax(), random)));
    this.federated =
        config
            .trainData()
            .map(
                data ->
                    track(
                        opened,
                        TrainingModule.participant(
                            this::asNode, config.nodeName(), data, FEDERATED_POLL)));
    reconciler.start();
    loop.start();
    federated.ifPresent(TrainingModule.NodeTraining::start);
    LOG.info(
        "edge agent serving on {}:{} ({} model(s) from {}), cloud {}",
        config.serving().host(),
        server.httpPort(),
        restored.models().size(),
        dir.root(),
        config.cloud());
  }

  /** The node credential; UNAVAILABLE (retried later) before enrollment. */
  /** The cloud client with this node's credential. */
  private CloudApiClient asNode() {
    return api.withToken(
        identity
            .get()
            .orElseThrow(() -> StrataException.unavailable("not enrolled yet"))
            .credential());
  }

  private static <T extends AutoCloseable> T track(List<AutoCloseable> opened, T resource) {
    opened.add(resource);
    return resource;
  }

  /**
   * Starts the agent: returns once the local server listens; models restored from the data
   * directory finish loading in the background ({@link #ready()}).
   *
   * @throws dev.strata.core.StrataException FAILED_PRECONDITION when another agent uses the data
   *     directory, or it was written by a newer agent
   */
  public static EdgeAgent start(EdgeConfig config) {
    requireNonNull(config, "config");
    List<AutoCloseable> opened = new ArrayList<>();
    try {
      return new EdgeAgent(config, opened);
    } catch (RuntimeException | Error e) {
      closeAll(opened.reversed());
      throw e;
    }
  }

  public EdgeConfig config() {
    return config;
  }

  /** The local HTTP port (Open Inference Protocol, {@code /metrics}, {@code /edge/v1/status}). */
  public int httpPort() {
    return server.httpPort();
  }

  public OptionalInt grpcPort() {
    return server.grpcPort();
  }

  /** The inference service the local server serves (policies applied). */
  public CollaborativeInferenceService service() {
    return service;
  }

  /** Completes when the models restored at start have loaded (or failed to). */
  public CompletableFuture<Void> startup() {
    return runtime.startup();
  }

  /** Whether the local server is ready to serve. */
  public boolean ready() {
    return service.ready();
  }

  /** The node id, once enrolled. */
  public Optional<String> nodeId() {
    return identity.get().map(NodeIdentity::nodeId);
  }

  /** Whether the last call to the cloud succeeded. */
  public boolean connected() {
    return loop.connected();
  }

  /** The agent's state as {@code GET /edge/v1/status} shows it. */
  public ObjectNode status() {
    ObjectNode s = Json.mapper().createObjectNode();
    identity
        .get()
        .ifPresent(
            id -> {
              s.put("nodeId", id.nodeId());
              s.put("name", id.name());
            });
    s.put("cloud", config.cloud().toString());
    s.put("connected", loop.connected());
    loop.lastContact().ifPresent(t -> s.put("lastContact", t.toString()));
    loop.lastError().ifPresent(e -> s.put("lastError", e));
    Reconciler.Snapshot snap = reconciler.snapshot();
    s.put("health", snap.health().name());
    snap.appliedEtag().ifPresent(e -> s.put("appliedEtag", e));
    snap.targetEtag().ifPresent(e -> s.put("desiredEtag", e));
    s.set("models", Json.mapper().valueToTree(snap.models()));
    s.set("deployments", Json.mapper().valueToTree(telemetry.counters()));
    s.put("inFlight", service.inFlight());
    s.put("cloudCircuitOpen", service.cloudCircuitOpen());
    ObjectNode t = s.putObject("telemetry");
    t.put("pendingBytes", telemetry.log().pendingBytes());
    t.put("dropped", telemetry.log().dropped());
    s.set("hardExamples", Json.mapper().valueToTree(samples.counts()));
    SystemStats.residentBytes().ifPresent(rss -> s.put("rssBytes", rss));
    return s;
  }

  /**
   * Stops: the control loop and downloads first, then the local server drains in-flight requests
   * and stops the runtime; the last telemetry interval is written to disk; the data directory is
   * released.
   */
  @Override
  public void close() {
    List<AutoCloseable> order = new ArrayList<>();
    order.add(loop);
    order.add(reconciler);
    order.add(server);
    order.add(samples);
    order.add(telemetry::flush);
    order.add(cloud);
    order.add(api);
    order.add(dir);
    closeAll(order);
    LOG.info("edge agent stopped");
  }

  private static void closeAll(List<AutoCloseable> resources) {
    for (int i = 0; i < resources.size(); i++) {
      AutoCloseable r = resources.get(i);
      try {
        r.close();
      } catch (Exception e) {
        LOG.warn("while stopping: {}", e.toString());
      }
    }
  }
}
