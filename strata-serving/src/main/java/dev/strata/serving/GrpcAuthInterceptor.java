package dev.strata.serving;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.protocol.grpc.GrpcStatus;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Asks a {@link RequestAuthorizer} before a gRPC call starts (the health checks excepted). A
 * decision available at once costs nothing more; one that completes later holds the call, without
 * blocking the network thread, until it is known: the call's listener events wait and are replayed
 * in order once the call starts. A refused call is closed with UNAUTHENTICATED or PERMISSION_DENIED
 * before any message reaches the service; a message that holds network buffers ({@link
 * AutoCloseable}, such as a {@link dev.strata.protocol.grpc.ReceivedInferRequest}) is closed
 * instead.
 */
final class GrpcAuthInterceptor implements ServerInterceptor {
  static final Set<String> PUBLIC_METHODS =
      Set.of(
          "inference.GRPCInferenceService/ServerLive",
          "inference.GRPCInferenceService/ServerReady");

  private final RequestAuthorizer authorizer;

  GrpcAuthInterceptor(RequestAuthorizer authorizer) {
    this.authorizer = authorizer;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    if (PUBLIC_METHODS.contains(method)) {
      return next.startCall(call, headers);
    }
    AuthRequest request =
        new AuthRequest(AuthRequest.GRPC, "POST", "/" + method, name -> lookup(headers, name));
    CompletableFuture<Void> decision;
    try {
      decision = authorizer.authorize(request).toCompletableFuture();
    } catch (RuntimeException e) {
      decision = CompletableFuture.failedFuture(e);
    }
    if (decision.isDone()) {
      Throwable refused = refusal(decision);
      if (refused == null) {
        return next.startCall(call, headers);
      }
      refuse(call, refused);
      return new ServerCall.Listener<>() {
        @Override
        public void onMessage(Q message) {
          discard(message);
        }
      };
    }
    Deferred<Q> deferred = new Deferred<>();
    Context context = Context.current();
    decision.whenComplete(
        (ok, failure) ->
            context.run(
                () ->
                    deferred.decide(
                        failure == null ? () -> next.startCall(call, headers) : null,
                        () -> refuse(call, failure))));
    return deferred;
  }

  private static Optional<String> lookup(Metadata headers, String name) {
    if (name.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
      return Optional.empty();
    }
    return Optional.ofNullable(
        headers.get(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER)));
  }

  private static Throwable refusal(CompletableFuture<Void> decision) {
    try {
      decision.join();
      return null;
    } catch (RuntimeException e) {
      return HttpErrors.unwrap(e);
    }
  }

  /** Drops a message that will never reach the service, handing back what it holds. */
  static void discard(Object message) {
    if (message instanceof AutoCloseable c) {
      try {
        c.close();
      } catch (Exception e) {
        throw new IllegalStateException("closing a discarded message failed", e);
      }
    }
  }

  private static void refuse(ServerCall<?, ?> call, Throwable failure) {
    Throwable t = HttpErrors.unwrap(failure);
    StrataException e =
        t instanceof StrataException s
            ? s
            : new StrataException(ErrorCode.INTERNAL, "authorization failed: " + t);
    StatusRuntimeException status = GrpcStatus.toStatusException(e);
    Metadata trailers = status.getTrailers() == null ? new Metadata() : status.getTrailers();
    call.close(status.getStatus(), trailers);
  }

  /** Holds a call's listener events until the authorization decision, then replays them. */
  private static final class Deferred<Q> extends ServerCall.Listener<Q> {
    private final List<Consumer<ServerCall.Listener<Q>>> held = new ArrayList<>();
    private final List<Q> heldMessages = new ArrayList<>(1);
    private ServerCall.Listener<Q> delegate;
    private boolean refused;

    synchronized void decide(
        java.util.function.Supplier<ServerCall.Listener<Q>> start, Runnable refuse) {
      if (start == null) {
        refused = true;
        held.clear();
        heldMessages.forEach(GrpcAuthInterceptor::discard);
        heldMessages.clear();
        refuse.run();
        return;
      }
      delegate = start.get();
      for (Consumer<ServerCall.Listener<Q>> event : held) {
        event.accept(delegate);
      }
      held.clear();
      heldMessages.clear();
    }

    private synchronized void dispatch(Consumer<ServerCall.Listener<Q>> event) {
      if (delegate != null) {
        event.accept(delegate);
      } else if (!refused) {
        held.add(event);
      }
    }

    @Override
    public synchronized void onMessage(Q message) {
      if (refused) {
        discard(message);
        return;
      }
      if (delegate == null) {
        heldMessages.add(message);
      }
      dispatch(l -> l.onMessage(message));
    }

    @Override
    public void onHalfClose() {
      dispatch(ServerCall.Listener::onHalfClose);
    }

    @Override
    public void onCancel() {
      dispatch(ServerCall.Listener::onCancel);
    }

    @Override
    public void onComplete() {
      dispatch(ServerCall.Listener::onComplete);
    }

    @Override
    public void onReady() {
      dispatch(ServerCall.Listener::onReady);
    }
  }
}
