package dev.strata.serving;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Decides whether a request may run, before its handler sees it: over HTTP for the routes it guards
 * (see {@link HttpRoutes#authorized}) and over gRPC for every call but the health checks. The stage
 * completes normally to let the request through, or fails with a {@link
 * dev.strata.core.StrataException} of code UNAUTHENTICATED (HTTP 401 with {@code WWW-Authenticate:
 * Bearer}) or PERMISSION_DENIED (403). It is called on a network thread and must not block: a check
 * that needs I/O returns a stage completed elsewhere. Messages must never contain the credential.
 */
@FunctionalInterface
public interface RequestAuthorizer {
  CompletionStage<Void> authorize(AuthRequest request);

  /** Lets every request through: the default. */
  static RequestAuthorizer allowAll() {
    return AllowAll.INSTANCE;
  }

  /** The authorizer that lets every request through. */
  enum AllowAll implements RequestAuthorizer {
    INSTANCE;

    private static final CompletableFuture<Void> OK = CompletableFuture.completedFuture(null);

    @Override
    public CompletionStage<Void> authorize(AuthRequest request) {
      return OK;
    }
  }
}
