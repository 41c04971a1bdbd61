package dev.strata.cloud;

import static java.util.Objects.requireNonNull;

import dev.strata.api.Role;
import dev.strata.control.Sha256;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.registry.auth.Authenticator;
import dev.strata.registry.auth.NodePrincipal;
import dev.strata.registry.auth.Principal;
import dev.strata.serving.AuthRequest;
import dev.strata.serving.RequestAuthorizer;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * Who may use the cloud's inference endpoints when {@link CloudConfig#inferenceAuth()} is on: any
 * valid credential (an API key of any role, the admin token, or an edge node's credential, which is
 * how cascades escalate); the repository endpoints (load/unload, which fight the deployer) need
 * DEPLOYER. Node credentials and the admin token are checked in memory on the network thread; API
 * keys need the database, so they are checked on the API executor and then remembered for {@link
 * #CACHE_NANOS} (a revocation through this cloud clears the memory at once).
 */
final class InferenceAuthorizer implements RequestAuthorizer {
  static final long CACHE_NANOS = 10_000_000_000L;
  private static final int MAX_CACHED = 10_000;
  private static final String API_KEY_PREFIX = "stk_";

  private final Authenticator authenticator;
  private final Executor executor;
  private final Map<String, Cached> apiKeys = new ConcurrentHashMap<>();

  private record Cached(Principal principal, long until) {}

  InferenceAuthorizer(Authenticator authenticator, Executor executor) {
    this.authenticator = requireNonNull(authenticator, "authenticator");
    this.executor = requireNonNull(executor, "executor");
  }

  @Override
  public CompletionStage<Void> authorize(AuthRequest request) {
    boolean repository =
        request.path().startsWith("/v2/repository")
            || request.path().startsWith("/inference.GRPCInferenceService/Repository");
    Optional<String> header = request.header("Authorization");
    Optional<String> token = request.bearerToken();
    if (token.isEmpty()) {
      return CompletableFuture.failedFuture(
          new StrataException(
              ErrorCode.UNAUTHENTICATED,
              header.isEmpty()
                  ? "missing credentials (expected: Authorization: Bearer <token>, with an API key,"
                      + " the admin token or a node credential)"
                  : "unsupported Authorization scheme (expected: Bearer <token>)"));
    }
    try {
      if (!token.get().startsWith(API_KEY_PREFIX)) {
        check(authenticator.authenticate(token.get()), repository);
        return CompletableFuture.completedFuture(null);
      }
      String key = Sha256.hex(token.get().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      Cached c = apiKeys.get(key);
      if (c != null && System.nanoTime() - c.until() < 0) {
        check(c.principal(), repository);
        return CompletableFuture.completedFuture(null);
      }
      return CompletableFuture.runAsync(
          () -> {
            Principal p = authenticator.authenticate(token.get());
            if (apiKeys.size() >= MAX_CACHED) {
              apiKeys.clear();
            }
            apiKeys.put(key, new Cached(p, System.nanoTime() + CACHE_NANOS));
            check(p, repository);
          },
          executor);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static void check(Principal p, boolean repository) {
    if (!repository) {
      return;
    }
    if (p instanceof NodePrincipal n) {
      throw new StrataException(
          ErrorCode.PERMISSION_DENIED,
          "node " + n.id() + ": loading and unloading cloud models is done by deployments");
    }
    Authenticator.requireRole(p, Role.DEPLOYER);
  }

  /** Forgets remembered API keys, so that a revocation applies to the next request. */
  void forgetApiKeys() {
    apiKeys.clear();
  }
}
