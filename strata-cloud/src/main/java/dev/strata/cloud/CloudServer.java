package dev.strata.cloud;

import static java.util.Objects.requireNonNull;

import dev.strata.api.CloudStatus;
import dev.strata.control.ManifestVerifier;
import dev.strata.llm.openai.OpenAiRoutes;
import dev.strata.registry.Registry;
import dev.strata.runtime.ModelManager;
import dev.strata.runtime.RuntimeConfig;
import dev.strata.runtime.backend.Backends;
import dev.strata.runtime.install.ModelInstaller;
import dev.strata.serving.RequestAuthorizer;
import dev.strata.serving.StrataServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.time.Clock;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cloud: the registry (models, artifacts, fleet, deployments), its management and node API
 * under {@code /api/v1}, and the Open Inference Protocol (REST and gRPC) for the models deployed to
 * the cloud, all on one {@link StrataServer}. {@link #start} returns once both listeners are bound;
 * the deployed models load in the background (see {@link #status()}). {@link #close()} shuts down
 * gracefully: in-flight requests finish, the runtime stops, pending heartbeats are written.
 */
public final class CloudServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CloudServer.class);

  private final CloudConfig config;
  private final Registry registry;
  private final CloudDeployer deployer;
  private final ThreadPoolExecutor apiExecutor;
  private final ManagementApi api;
  private final StrataServer server;
  private final ModelManager runtime;
  private final FederatedJobs federated;

  private CloudServer(CloudConfig config, Clock clock) {
    this.config = requireNonNull(config, "config");
    this.registry = Registry.open(config.registry(), clock);
    ThreadPoolExecutor executor = null;
    CloudDeployer d = null;
    ModelManager rt = null;
    FederatedJobs fed = null;
    try {
      executor = apiExecutor(config);
      d =
          new CloudDeployer(
              registry.deployments(),
              registry.models(),
              new ManifestVerifier(registry.signer().publicKey()),
              new ModelInstaller(config.modelRepository(), Backends.builtIn()),
              clock,
              config.reconcileInterval());
      d.prepare();
      PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      rt =
          ModelManager.create(
              RuntimeConfig.builder(config.modelRepository())
                  .meterRegistry(meters)
                  .drainTimeout(config.drainTimeout())
                  .build());
      fed = new FederatedJobs(registry, config.dataDir().resolve("federated"), clock);
      InferenceAuthorizer inferenceAuth =
          new InferenceAuthorizer(registry.authenticator(), executor);
      this.api =
          new ManagementApi(
              registry,
              d,
              config.dataDir().resolve("tmp"),
              executor,
              config.maxRequestBytes(),
              config.bodyReadTimeout(),
              inferenceAuth::forgetApiKeys,
              fed);
      this.server =
          StrataServer.builder(config.serving(), rt, meters)
              .routes(
                  api.routes()
                      .addAll(
                          OpenAiRoutes.create(
                              rt,
                              meters,
                              config.inferenceAuth()
                                  ? inferenceAuth
                                  : RequestAuthorizer.allowAll())))
              .inferenceAuthorizer(
                  config.inferenceAuth() ? inferenceAuth : RequestAuthorizer.allowAll())
              .start();
    } catch (RuntimeException | Error e) {
      if (fed != null) {
        fed.close();
      }
      if (d != null) {
        d.close();
      }
      if (rt != null) {
        rt.close();
      }
      if (executor != null) {
        executor.shutdownNow();
      }
      registry.close();
      throw e;
    }
    this.apiExecutor = executor;
    this.deployer = d;
    this.runtime = rt;
    this.federated = fed;
    ModelManager started = rt;
    CloudDeployer keeper = d;
    rt.startup().thenRun(() -> keeper.start(started));
  }

  /** Opens the registry, prepares the cloud's models and starts serving. */
  public static CloudServer start(CloudConfig config) {
    return start(config, Clock.systemUTC());
  }

  public static CloudServer start(CloudConfig config, Clock clock) {
    return new CloudServer(config, requireNonNull(clock, "clock"));
  }

  private static ThreadPoolExecutor apiExecutor(CloudConfig config) {
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            config.apiThreads(),
            config.apiThreads(),
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(config.apiQueue()),
            r ->
                Thread.ofPlatform()
                    .name("strata-api-" + n.incrementAndGet())
                    .daemon(true)
                    .unstarted(r));
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  public CloudConfig config() {
    return config;
  }

  public int httpPort() {
    return server.httpPort();
  }

  public OptionalInt grpcPort() {
    return server.grpcPort();
  }

  /** {@code http://host:port} (https with TLS) of the REST listener. */
  public URI httpUri() {
    String host = config.host().equals("0.0.0.0") ? "127.0.0.1" : config.host();
    return URI.create(
        (config.tls().isPresent() ? "https" : "http") + "://" + host + ":" + httpPort());
  }

  /**
   * The admin token generated by this start (the first start of a data directory without a
   * configured token), to show once; empty otherwise. It is stored only as its hash.
   */
  public Optional<String> generatedAdminToken() {
    return registry.generatedAdminToken();
  }

  /** The base64 X.509 Ed25519 public key edges verify manifests with. */
  public String manifestPublicKey() {
    return registry.signer().publicKeyBase64();
  }

  /** The signing key's short id. */
  public String manifestKeyId() {
    return registry.signer().keyId();
  }

  /** What the cloud serves next to its deployments. */
  public CloudStatus status() {
    return deployer.status();
  }

  /** The registry, for in-process tools and tests. */
  public Registry registry() {
    return registry;
  }

  ManagementApi api() {
    return api;
  }

  CloudDeployer deployer() {
    return deployer;
  }

  ModelManager runtime() {
    return runtime;
  }

  FederatedJobs federated() {
    return federated;
  }

  @Override
  public void close() {
    LOG.info("cloud shutting down");
    try {
      federated.close();
      deployer.close();
      server.close();
    } finally {
      apiExecutor.shutdown();
      try {
        apiExecutor.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      registry.close();
    }
  }
}
