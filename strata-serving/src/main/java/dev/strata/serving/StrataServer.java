package dev.strata.serving;

import static java.util.Objects.requireNonNull;

import dev.strata.runtime.InferenceService;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Open Inference Protocol over HTTP and gRPC in front of an {@link InferenceService}, plus
 * {@code /metrics} (Prometheus) and any extra routes the composition root adds (the cloud's
 * management API, the edge agent's own endpoints). Both listeners share one set of network threads.
 *
 * <p>{@link #close()} shuts down gracefully: stop accepting, let in-flight requests finish up to
 * the drain timeout, stop the runtime, then close connections.
 */
public final class StrataServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StrataServer.class);

  private final ServingConfig config;
  private final InferenceService service;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final NettyHttpServer http;
  private final Server grpc;
  private volatile boolean closed;

  private final ExecutorService ownStreamingExecutor;

  private StrataServer(Builder b) {
    this.config = b.config;
    this.service = b.service;
    int threads =
        config.ioThreads() == 0 ? Runtime.getRuntime().availableProcessors() : config.ioThreads();
    boss = NettyTransport.group(1, "strata-accept");
    workers = NettyTransport.group(threads, "strata-io");
    Executor streaming = b.streamingExecutor;
    ownStreamingExecutor =
        streaming == null
            ? Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("strata-http-stream-", 0).factory())
            : null;
    if (streaming == null) {
      streaming = ownStreamingExecutor;
    }
    try {
      ModelControl control =
          b.repositoryControl ? b.modelControl : ModelControl.refusing(b.controlOffMessage);
      HttpRoutes oip = OipHttpRoutes.create(service, control);
      if (b.authorizer != RequestAuthorizer.allowAll()) {
        oip = oip.authorized(b.authorizer, PUBLIC_HTTP_ROUTES);
      }
      HttpRoutes routes =
          HttpRoutes.create()
              .addAll(b.routes)
              .get(
                  "/metrics",
                  call ->
                      java.util.concurrent.CompletableFuture.completedFuture(metrics(b.registry)))
              .addAll(oip);
      http =
          new NettyHttpServer(
              config, routes, boss, workers, config.tls().map(TlsContexts::forHttp), streaming);
      grpc =
          config.grpcPort() < 0
              ? null
              : startGrpc(config, service, control, b.authorizer, boss, workers);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      shutdownGroups();
      throw new IllegalStateException("interrupted while starting", e);
    } catch (RuntimeException e) {
      shutdownGroups();
      if (ownStreamingExecutor != null) {
        ownStreamingExecutor.shutdownNow();
      }
      throw e;
    }
    log.info(
        "serving {} on {}:{}{}",
        config.tls().isPresent() ? "HTTPS" : "HTTP",
        config.host(),
        http.port(),
        grpc == null
            ? ""
            : ", gRPC"
                + (config.tls().isPresent() ? " (TLS)" : "")
                + " on "
                + config.host()
                + ":"
                + grpcPort().orElseThrow());
  }

  static final String DEFAULT_CONTROL_OFF =
      "model control is off on this server: POST /v2/repository/models/{model}/load and unload are"
          + " refused (the repository index stays readable)";

  /**
   * The HTTP routes an inference authorizer does not guard: liveness and readiness, which
   * orchestrators probe without credentials.
   */
  static final Set<String> PUBLIC_HTTP_ROUTES = Set.of("/v2/health/live", "/v2/health/ready");

  /** Starts the listeners; returns once both are bound. */
  public static StrataServer start(
      ServingConfig config, InferenceService service, PrometheusMeterRegistry registry) {
    return builder(config, service, registry).start();
  }

  /** Starts the listeners with extra HTTP routes, matched before the protocol's own. */
  public static StrataServer start(
      ServingConfig config,
      InferenceService service,
      PrometheusMeterRegistry registry,
      HttpRoutes extraRoutes) {
    return builder(config, service, registry).routes(extraRoutes).start();
  }

  /** A server with more settings than {@link #start} takes. */
  public static Builder builder(
      ServingConfig config, InferenceService service, PrometheusMeterRegistry registry) {
    return new Builder(config, service, registry);
  }

  /** Collects a server's settings; {@link #start()} binds the listeners. */
  public static final class Builder {
    private final ServingConfig config;
    private final InferenceService service;
    private final PrometheusMeterRegistry registry;
    private HttpRoutes routes = HttpRoutes.create();
    private RequestAuthorizer authorizer = RequestAuthorizer.allowAll();
    private Executor streamingExecutor;
    private boolean repositoryControl = true;
    private String controlOffMessage = DEFAULT_CONTROL_OFF;
    private ModelControl modelControl;

    private Builder(
        ServingConfig config, InferenceService service, PrometheusMeterRegistry registry) {
      this.config = requireNonNull(config, "config");
      this.service = requireNonNull(service, "service");
      this.registry = requireNonNull(registry, "registry");
      this.modelControl = ModelControl.of(service);
    }

    /**
     * Whether the repository API may load and unload models (default true). When false, REST {@code
     * POST /v2/repository/models/{model}/load} and {@code .../unload} answer 403 and gRPC {@code
     * RepositoryModelLoad} and {@code RepositoryModelUnload} answer PERMISSION_DENIED; the
     * repository index stays readable.
     */
    public Builder repositoryControl(boolean enabled) {
      this.repositoryControl = enabled;
      return this;
    }

    /**
     * Turns repository control off (see {@link #repositoryControl(boolean)}) with {@code message}
     * as the refusal clients get: say why, and how the operator turns it on.
     */
    public Builder repositoryControlOff(String message) {
      this.controlOffMessage = requireNonNull(message, "message");
      this.repositoryControl = false;
      return this;
    }

    /**
     * Where the repository API's loads and unloads go while repository control is on; default the
     * service's own {@link InferenceService#load} and {@link InferenceService#unload}.
     */
    public Builder modelControl(ModelControl value) {
      this.modelControl = requireNonNull(value, "value");
      return this;
    }

    /** Extra HTTP routes, matched before {@code /metrics} and the protocol's own. */
    public Builder routes(HttpRoutes extra) {
      this.routes = requireNonNull(extra, "extra");
      return this;
    }

    /**
     * Guards the inference protocol, REST ({@code /v2/...} but the health checks) and gRPC (every
     * call but ServerLive and ServerReady); the default lets everything through. Extra routes do
     * their own checks.
     */
    public Builder inferenceAuthorizer(RequestAuthorizer value) {
      this.authorizer = requireNonNull(value, "value");
      return this;
    }

    /**
     * Where streaming route handlers run (they block on the request body); default a virtual thread
     * per request.
     */
    public Builder streamingExecutor(Executor value) {
      this.streamingExecutor = requireNonNull(value, "value");
      return this;
    }

    public StrataServer start() {
      return new StrataServer(this);
    }
  }

  public int httpPort() {
    return http.port();
  }

  public OptionalInt grpcPort() {
    return grpc == null ? OptionalInt.empty() : OptionalInt.of(grpc.getPort());
  }

  /** HTTP requests received and not yet answered (for tests and diagnostics). */
  int inFlightHttpRequests() {
    return http.inFlight();
  }

  private static Server startGrpc(
      ServingConfig config,
      InferenceService service,
      ModelControl control,
      RequestAuthorizer authorizer,
      EventLoopGroup boss,
      EventLoopGroup workers) {
    try {
      NettyServerBuilder b =
          NettyServerBuilder.forAddress(new InetSocketAddress(config.host(), config.grpcPort()))
              .bossEventLoopGroup(boss)
              .workerEventLoopGroup(workers)
              .channelType(NettyTransport.serverChannel())
              // Handlers only decode and enqueue; running them on the network thread saves a
              // hand-off.
              .directExecutor()
              .maxInboundMessageSize(config.maxRequestBytes());
      config.tls().ifPresent(tls -> b.sslContext(TlsContexts.forGrpc(tls)));
      OipGrpcService oip = new OipGrpcService(service, control);
      if (authorizer == RequestAuthorizer.allowAll()) {
        b.addService(oip.definition());
      } else {
        b.addService(
            ServerInterceptors.intercept(oip.definition(), new GrpcAuthInterceptor(authorizer)));
      }
      return b.build().start();
    } catch (IOException e) {
      throw NettyHttpServer.listenFailure(
          "gRPC", config.host(), config.grpcPort(), "--grpc-port", e);
    }
  }

  private static HttpResult metrics(PrometheusMeterRegistry registry) {
    return new HttpResult(
        200,
        "text/plain; version=0.0.4; charset=utf-8",
        java.util.Map.of(),
        java.util.List.of(
            java.nio.ByteBuffer.wrap(
                registry.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8))));
  }

  /** Graceful shutdown with the configured drain timeout. */
  @Override
  public void close() {
    shutdown(config.drainTimeout());
  }

  /**
   * Stops accepting, waits up to {@code timeout} for in-flight requests (HTTP and gRPC), stops the
   * runtime, and releases the network threads. Idempotent.
   */
  public synchronized void shutdown(Duration timeout) {
    if (closed) {
      return;
    }
    closed = true;
    long deadline = System.nanoTime() + timeout.toNanos();
    log.info("shutting down: draining in-flight requests for up to {}", timeout);
    http.stopAccepting();
    if (grpc != null) {
      grpc.shutdown();
    }
    service.shutdown(remaining(deadline));
    try {
      http.awaitDrainedAndClose(remaining(deadline));
      if (grpc != null
          && !grpc.awaitTermination(remaining(deadline).toMillis(), TimeUnit.MILLISECONDS)) {
        grpc.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      shutdownGroups();
      if (ownStreamingExecutor != null) {
        ownStreamingExecutor.shutdownNow();
      }
    }
    log.info("stopped");
  }

  private static Duration remaining(long deadline) {
    return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
  }

  private void shutdownGroups() {
    workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
