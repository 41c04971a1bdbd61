package dev.strata.serving;

import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.StrataException;
import dev.strata.protocol.grpc.GrpcConverters;
import dev.strata.protocol.grpc.GrpcStatus;
import dev.strata.protocol.grpc.ModelInferResponse;
import dev.strata.protocol.grpc.ReceivedInferRequest;
import dev.strata.runtime.InferenceService;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code ModelInfer} call, bound by hand instead of through the generated stub so that its
 * request stays in the network buffers it arrived in ({@link ReceivedInferRequest}): decode,
 * enqueue and return on the network thread; the runtime's worker answers. The buffers go back
 * exactly once: when the runtime releases the inputs, or when the call ends before they reach it
 * (cancelled, refused, malformed, a second message).
 */
final class ModelInferCalls implements ServerCallHandler<ReceivedInferRequest, ModelInferResponse> {
  private static final Logger log = LoggerFactory.getLogger(ModelInferCalls.class);

  private final InferenceService service;

  ModelInferCalls(InferenceService service) {
    this.service = service;
  }

  @Override
  public ServerCall.Listener<ReceivedInferRequest> startCall(
      ServerCall<ReceivedInferRequest, ModelInferResponse> call, Metadata headers) {
    call.request(2); // as grpc-java's unary calls do: a second message is the client's mistake
    return new Call(call);
  }

  /** One call. grpc-java calls the listener methods one at a time; the worker answers. */
  private final class Call extends ServerCall.Listener<ReceivedInferRequest> {
    private final ServerCall<ReceivedInferRequest, ModelInferResponse> call;
    private final AtomicBoolean closed = new AtomicBoolean();
    private ReceivedInferRequest request;
    private boolean started;
    private CompletableFuture<InferenceResponse> inference;

    Call(ServerCall<ReceivedInferRequest, ModelInferResponse> call) {
      this.call = call;
    }

    @Override
    public void onMessage(ReceivedInferRequest message) {
      if (request != null || closed.get()) {
        message.close();
        close(Status.INVALID_ARGUMENT.withDescription("ModelInfer: more than one request message"));
        return;
      }
      request = message;
    }

    @Override
    public void onHalfClose() {
      if (closed.get()) {
        return;
      }
      if (request == null) {
        close(Status.INVALID_ARGUMENT.withDescription("ModelInfer: no request message"));
        return;
      }
      started = true;
      ReceivedInferRequest r = request;
      CompletableFuture<InferenceResponse> f;
      try {
        Deadline deadline = Context.current().getDeadline();
        Optional<Duration> left =
            deadline == null
                ? Optional.empty()
                : Optional.of(
                    Duration.ofNanos(Math.max(0, deadline.timeRemaining(TimeUnit.NANOSECONDS))));
        InferenceRequest decoded = GrpcConverters.inferenceRequest(r.message(), left);
        f = service.infer(decoded, r::close);
      } catch (RuntimeException e) {
        r.close();
        fail(e);
        return;
      }
      inference = f;
      f.whenComplete(
          (response, failure) -> {
            if (failure != null) {
              fail(failure);
            } else {
              reply(response);
            }
          });
    }

    @Override
    public void onCancel() {
      closed.set(true);
      dropUnstarted();
      if (inference != null) {
        inference.cancel(false); // the runtime releases the request once nothing reads it
      }
    }

    @Override
    public void onComplete() {
      dropUnstarted();
    }

    private void dropUnstarted() {
      if (!started && request != null) {
        request.close();
      }
    }

    private void reply(InferenceResponse response) {
      ModelInferResponse message;
      try {
        message = GrpcConverters.modelInferResponse(response);
      } catch (RuntimeException e) {
        fail(e);
        return;
      }
      if (!closed.compareAndSet(false, true)) {
        return;
      }
      try {
        call.sendHeaders(new Metadata());
        call.sendMessage(message);
        call.close(Status.OK, new Metadata());
      } catch (IllegalStateException | StatusRuntimeException e) {
        log.debug("ModelInfer answer not sent: the call has ended", e);
      }
    }

    private void fail(Throwable failure) {
      Throwable t = HttpErrors.unwrap(failure);
      if (!(t instanceof StrataException) && !(t instanceof CancellationException)) {
        log.error("unexpected failure in a gRPC call", t);
      }
      StatusRuntimeException e = GrpcStatus.toStatusException(t);
      close(e.getStatus(), e.getTrailers());
    }

    private void close(Status status) {
      close(status, null);
    }

    private void close(Status status, Metadata trailers) {
      if (!closed.compareAndSet(false, true)) {
        return;
      }
      try {
        call.close(status, trailers == null ? new Metadata() : trailers);
      } catch (IllegalStateException alreadyClosed) {
        // the client went away; nothing to tell it
      }
    }
  }
}
