package dev.strata.cloud;

import static java.util.Objects.requireNonNull;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.registry.Registry;
import dev.strata.registry.auth.Authenticator;
import dev.strata.registry.auth.NodePrincipal;
import dev.strata.registry.auth.Principal;
import dev.strata.registry.auth.UserPrincipal;
import dev.strata.serving.AuthRequest;
import dev.strata.serving.HttpCall;
import dev.strata.serving.HttpErrors;
import dev.strata.serving.HttpResult;
import dev.strata.serving.HttpRoutes;
import dev.strata.serving.StreamedBody;
import dev.strata.serving.StreamingCall;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The management and node API under {@code /api/v1} (docs/api.md): one table of {@link Endpoint}s
 * turned into HTTP routes. Every call is authenticated first (bearer token → principal → the
 * endpoint's {@link Access}), then handled on the API executor, never on a network thread, because
 * handlers use the database. Calls that carry a body ({@code POST}, {@code PUT}, {@code PATCH}) are
 * routed as streaming calls so that they, too, authenticate before a byte of the body is read: a
 * client without credentials gets its 401 at once, not after the server has buffered {@code
 * maxRequestBytes} of it. A body that stops arriving for {@code bodyReadTimeout} ends the call.
 */
final class ManagementApi {
  private static final Logger LOG = LoggerFactory.getLogger(ManagementApi.class);

  private static final Set<String> BODY_METHODS = Set.of("POST", "PUT", "PATCH");

  private final Authenticator authenticator;
  private final Executor executor;
  private final int maxRequestBytes;
  private final Duration bodyReadTimeout;
  private final List<Endpoint> endpoints;

  ManagementApi(
      Registry registry,
      CloudDeployer deployer,
      Path tmp,
      Executor executor,
      int maxRequestBytes,
      Duration bodyReadTimeout,
      Runnable onApiKeyRevoked,
      FederatedJobs federated) {
    this.authenticator = registry.authenticator();
    this.executor = requireNonNull(executor, "executor");
    this.maxRequestBytes = maxRequestBytes;
    this.bodyReadTimeout = requireNonNull(bodyReadTimeout, "bodyReadTimeout");
    List<Endpoint> all = new ArrayList<>();
    all.addAll(new ArtifactEndpoints(registry).endpoints());
    all.addAll(new ModelEndpoints(registry.models()).endpoints());
    all.addAll(
        new CredentialEndpoints(registry.apiKeys(), registry.signer(), onApiKeyRevoked)
            .endpoints());
    all.addAll(new NodeEndpoints(registry.nodes()).endpoints());
    all.addAll(new FleetEndpoints(registry.fleet(), registry.deployments()).endpoints());
    all.addAll(new SampleEndpoints(registry.samples(), tmp).endpoints());
    all.addAll(new DeploymentEndpoints(registry.deployments(), deployer).endpoints());
    all.addAll(new TelemetryEndpoints(registry.telemetry()).endpoints());
    all.addAll(new FederatedEndpoints(federated).endpoints());
    all.addAll(new DocsEndpoints(this::endpoints).endpoints());
    this.endpoints = List.copyOf(all);
  }

  /** Every endpoint, in routing order. */
  List<Endpoint> endpoints() {
    return endpoints;
  }

  HttpRoutes routes() {
    HttpRoutes routes = HttpRoutes.create();
    for (Endpoint e : endpoints) {
      if (e.streaming()) {
        routes.addStreaming(e.method(), e.pattern(), call -> handleStreaming(e, call));
      } else if (BODY_METHODS.contains(e.method())) {
        routes.addStreaming(e.method(), e.pattern(), call -> handleWithBody(e, call));
      } else {
        routes.add(e.method(), e.pattern(), call -> handle(e, call));
      }
    }
    return routes;
  }

  private CompletionStage<HttpResult> handle(Endpoint e, HttpCall call) {
    CompletableFuture<HttpResult> result = new CompletableFuture<>();
    // The body's network buffers go back to the pool once the result completes, which a closed
    // connection may do at any time: copy it here, on the event loop, before the hop.
    ByteBuffer body = call.body();
    executor.execute(
        () -> {
          Optional<Principal> principal = Optional.empty();
          HttpResult r;
          try {
            principal = authenticate(e.access(), call.headers());
            authorize(e.access(), principal);
            byte[] bytes = new byte[body.remaining()];
            body.duplicate().get(bytes);
            ApiRequest request =
                new ApiRequest(
                    call.method(),
                    call.path(),
                    call.pathParams(),
                    call.query(),
                    call.headers(),
                    principal,
                    new ByteArrayInputStream(bytes),
                    bytes);
            r = e.handler().handle(request);
            audit(e, call.path(), principal, r.status());
          } catch (Throwable t) {
            audit(e, call.path(), principal, HttpErrors.code(t).httpStatus());
            result.completeExceptionally(t);
            return;
          }
          if (!result.complete(r)) {
            r.stream().ifPresent(StreamedBody::close); // the client went away meanwhile
          }
        });
    return result;
  }

  /**
   * A buffered endpoint's call with a body: authenticated on the API executor, then the body is
   * read here (on the streaming executor, up to {@code maxRequestBytes}), then handled on the API
   * executor like any other call.
   */
  private HttpResult handleWithBody(Endpoint e, StreamingCall call) throws Exception {
    Optional<Principal> principal = Optional.empty();
    try {
      principal =
          e.access() instanceof Access.Public
              ? Optional.empty()
              : onApiExecutor(
                  () -> {
                    Optional<Principal> p = authenticate(e.access(), call.headers());
                    authorize(e.access(), p);
                    return p;
                  });
      byte[] bytes = readBody(call);
      ApiRequest request =
          new ApiRequest(
              call.method(),
              call.path(),
              call.pathParams(),
              call.query(),
              call.headers(),
              principal,
              new ByteArrayInputStream(bytes),
              bytes);
      HttpResult r = onApiExecutor(() -> e.handler().handle(request));
      audit(e, call.path(), principal, r.status());
      return r;
    } catch (Exception | Error t) {
      audit(e, call.path(), principal, HttpErrors.code(t).httpStatus());
      throw t;
    }
  }

  /** The whole body of a call, refused with 413 past {@code maxRequestBytes}. */
  private byte[] readBody(StreamingCall call) throws IOException {
    long declared = call.contentLength().orElse(-1);
    if (declared > maxRequestBytes) {
      throw tooLarge(declared);
    }
    try (InputStream in = new TimedBody(call.body(), bodyReadTimeout)) {
      byte[] bytes = in.readNBytes(maxRequestBytes + 1);
      if (bytes.length > maxRequestBytes) {
        throw tooLarge(bytes.length);
      }
      return bytes;
    }
  }

  private StrataException tooLarge(long size) {
    return new StrataException(
        ErrorCode.PAYLOAD_TOO_LARGE,
        "request body of "
            + (size > maxRequestBytes ? "over " + maxRequestBytes : size)
            + " bytes is over the limit of "
            + maxRequestBytes
            + " bytes");
  }

  /** Runs {@code work} on the API executor and waits for it (503 when its queue is full). */
  private <T> T onApiExecutor(Callable<T> work) throws Exception {
    FutureTask<T> task = new FutureTask<>(work);
    executor.execute(task);
    try {
      return task.get();
    } catch (ExecutionException ex) {
      if (ex.getCause() instanceof Exception cause) {
        throw cause;
      }
      if (ex.getCause() instanceof Error err) {
        throw err;
      }
      throw ex;
    } catch (InterruptedException ex) {
      task.cancel(true);
      Thread.currentThread().interrupt();
      throw new StrataException(ErrorCode.UNAVAILABLE, "server is shutting down");
    }
  }

  private HttpResult handleStreaming(Endpoint e, StreamingCall call) throws Exception {
    Optional<Principal> principal = Optional.empty();
    try (TimedBody body = new TimedBody(call.body(), bodyReadTimeout)) {
      principal = authenticate(e.access(), call.headers());
      authorize(e.access(), principal);
      ApiRequest request =
          new ApiRequest(
              call.method(),
              call.path(),
              call.pathParams(),
              call.query(),
              call.headers(),
              principal,
              body,
              null);
      HttpResult r = e.handler().handle(request);
      audit(e, call.path(), principal, r.status());
      return r;
    } catch (Exception | Error t) {
      audit(e, call.path(), principal, HttpErrors.code(t).httpStatus());
      throw t;
    }
  }

  /**
   * The caller of a request: empty on public endpoints; 401 without or with an unknown credential.
   * Messages never contain the credential.
   */
  Optional<Principal> authenticate(Access access, Function<String, Optional<String>> headers) {
    if (access instanceof Access.Public) {
      return Optional.empty();
    }
    Optional<String> header = headers.apply("Authorization");
    if (header.isEmpty()) {
      throw new StrataException(
          ErrorCode.UNAUTHENTICATED,
          "missing credentials (expected: Authorization: Bearer <token>, with the admin token, an"
              + " API key or a node credential)");
    }
    String token =
        AuthRequest.bearerToken(header)
            .orElseThrow(
                () ->
                    new StrataException(
                        ErrorCode.UNAUTHENTICATED,
                        "unsupported Authorization scheme (expected: Bearer <token>)"));
    return Optional.of(authenticator.authenticate(token));
  }

  /** 403 when the caller may not use an endpoint of this access. */
  static void authorize(Access access, Optional<Principal> caller) {
    switch (access) {
      case Access.Public p -> {}
      case Access.User u -> Authenticator.requireRole(caller.orElseThrow(), u.role());
      case Access.UserOrNode u -> {
        if (caller.orElseThrow() instanceof UserPrincipal) {
          Authenticator.requireRole(caller.get(), u.role());
        }
      }
      case Access.Node n -> {
        if (caller.orElseThrow() instanceof UserPrincipal user) {
          throw new StrataException(
              ErrorCode.PERMISSION_DENIED,
              user.id() + ": node endpoints need a node credential (from enrollment)");
        }
      }
    }
  }

  /** Changes are logged with who made them (never a secret); reads and node traffic at debug. */
  private static void audit(Endpoint e, String path, Optional<Principal> who, int status) {
    boolean change = !e.method().equals("GET") && !e.method().equals("HEAD");
    boolean node = who.isPresent() && who.get() instanceof NodePrincipal;
    if (change && !node && LOG.isInfoEnabled()) {
      LOG.info(
          "{} {} -> {} by {}",
          e.method(),
          path,
          status,
          who.map(Principal::id).orElse("(anonymous)"));
    } else if (LOG.isDebugEnabled()) {
      LOG.debug(
          "{} {} -> {} by {}",
          e.method(),
          path,
          status,
          who.map(Principal::id).orElse("(anonymous)"));
    }
  }
}
