package dev.strata.serving;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.strata.protocol.grpc.GrpcConverters;
import dev.strata.protocol.grpc.GrpcStatus;
import dev.strata.protocol.grpc.ModelConfigRequest;
import dev.strata.protocol.grpc.ModelConfigResponse;
import dev.strata.protocol.grpc.ModelInferRequest;
import dev.strata.protocol.grpc.ModelInferResponse;
import dev.strata.protocol.grpc.ModelMetadataRequest;
import dev.strata.protocol.grpc.ModelMetadataResponse;
import dev.strata.protocol.grpc.ModelReadyRequest;
import dev.strata.protocol.grpc.ModelReadyResponse;
import dev.strata.protocol.grpc.ModelStatisticsRequest;
import dev.strata.protocol.grpc.ModelStatisticsResponse;
import dev.strata.protocol.grpc.ReceivedInferRequest;
import dev.strata.protocol.grpc.RepositoryIndexRequest;
import dev.strata.protocol.grpc.RepositoryIndexResponse;
import dev.strata.protocol.grpc.RepositoryModelLoadRequest;
import dev.strata.protocol.grpc.RepositoryModelLoadResponse;
import dev.strata.protocol.grpc.RepositoryModelUnloadRequest;
import dev.strata.protocol.grpc.RepositoryModelUnloadResponse;
import dev.strata.protocol.grpc.ServerLiveRequest;
import dev.strata.protocol.grpc.ServerLiveResponse;
import dev.strata.protocol.grpc.ServerMetadataRequest;
import dev.strata.protocol.grpc.ServerMetadataResponse;
import dev.strata.protocol.grpc.ServerReadyRequest;
import dev.strata.protocol.grpc.ServerReadyResponse;
import dev.strata.runtime.InferenceService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code inference.GRPCInferenceService} over an {@link InferenceService}. Calls run on the network
 * thread (the server uses a direct executor): they decode, enqueue and return; the runtime's worker
 * completes the call. A cancelled call cancels its queued inference. {@code ModelInfer} is served
 * by {@link ModelInferCalls} (see {@link #definition()}).
 */
final class OipGrpcService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(OipGrpcService.class);

  private final InferenceService service;
  private final ModelControl modelControl;
  private final ExecutorService control = Executors.newVirtualThreadPerTaskExecutor();

  OipGrpcService(InferenceService service) {
    this(service, ModelControl.of(service));
  }

  /**
   * The service, with RepositoryModelLoad and RepositoryModelUnload going to {@code modelControl}.
   */
  OipGrpcService(InferenceService service, ModelControl modelControl) {
    this.service = service;
    this.modelControl = modelControl;
  }

  @Override
  public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> out) {
    reply(out, () -> ServerLiveResponse.newBuilder().setLive(service.live()).build());
  }

  @Override
  public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> out) {
    reply(out, () -> ServerReadyResponse.newBuilder().setReady(service.ready()).build());
  }

  @Override
  public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> out) {
    reply(
        out,
        () -> {
          Optional<String> version = GrpcConverters.optional(request.getVersion());
          boolean ready = service.modelReady(request.getName(), version);
          if (!ready) {
            service.modelMetadata(request.getName(), version); // NOT_FOUND for an unknown model
          }
          return ModelReadyResponse.newBuilder().setReady(ready).build();
        });
  }

  @Override
  public void serverMetadata(
      ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> out) {
    reply(out, () -> GrpcConverters.serverMetadataResponse(OipHttpRoutes.serverMetadata(service)));
  }

  @Override
  public void modelMetadata(
      ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> out) {
    reply(
        out,
        () ->
            GrpcConverters.modelMetadataResponse(
                service.modelMetadata(
                    request.getName(), GrpcConverters.optional(request.getVersion()))));
  }

  @Override
  public void modelConfig(ModelConfigRequest request, StreamObserver<ModelConfigResponse> out) {
    reply(
        out,
        () ->
            ModelConfigResponse.newBuilder()
                .setConfig(
                    service.modelConfig(
                        request.getName(), GrpcConverters.optional(request.getVersion())))
                .build());
  }

  @Override
  public void modelStatistics(
      ModelStatisticsRequest request, StreamObserver<ModelStatisticsResponse> out) {
    reply(
        out,
        () ->
            GrpcConverters.modelStatisticsResponse(
                service.statistics(
                    GrpcConverters.optional(request.getName()),
                    GrpcConverters.optional(request.getVersion()))));
  }

  @Override
  public void repositoryIndex(
      RepositoryIndexRequest request, StreamObserver<RepositoryIndexResponse> out) {
    reply(
        out,
        () -> GrpcConverters.repositoryIndexResponse(service.repositoryIndex(request.getReady())));
  }

  @Override
  public void repositoryModelLoad(
      RepositoryModelLoadRequest request, StreamObserver<RepositoryModelLoadResponse> out) {
    control(
        out,
        request.getParametersMap().keySet(),
        () -> modelControl.load(request.getModelName()),
        RepositoryModelLoadResponse.getDefaultInstance());
  }

  @Override
  public void repositoryModelUnload(
      RepositoryModelUnloadRequest request, StreamObserver<RepositoryModelUnloadResponse> out) {
    control(
        out,
        request.getParametersMap().keySet(),
        () -> modelControl.unload(request.getModelName()),
        RepositoryModelUnloadResponse.getDefaultInstance());
  }

  /**
   * Runs a blocking repository action (load, unload) off the network thread and answers {@code
   * done} when it returns; parameters are refused, since the repository's config file rules.
   */
  private <T> void control(
      StreamObserver<T> out, java.util.Set<String> parameters, Runnable action, T done) {
    if (!parameters.isEmpty()) {
      out.onError(GrpcStatus.toStatusException(unsupportedParameters(parameters)));
      return;
    }
    completeAsync(
        out,
        () -> {
          action.run();
          return done;
        });
  }

  /**
   * This service as the server binds it: the generated methods, except {@code ModelInfer}, whose
   * request is parsed in place by {@link ReceivedInferRequest#marshaller()} and served by {@link
   * ModelInferCalls}.
   */
  ServerServiceDefinition definition() {
    ServerServiceDefinition generated = bindService();
    MethodDescriptor<ModelInferRequest, ModelInferResponse> standard =
        GRPCInferenceServiceGrpc.getModelInferMethod();
    MethodDescriptor<ReceivedInferRequest, ModelInferResponse> inPlace =
        standard.toBuilder(ReceivedInferRequest.marshaller(), standard.getResponseMarshaller())
            .build();
    ServiceDescriptor generatedDescriptor = generated.getServiceDescriptor();
    ServiceDescriptor.Builder descriptor =
        ServiceDescriptor.newBuilder(generatedDescriptor.getName())
            .setSchemaDescriptor(generatedDescriptor.getSchemaDescriptor());
    for (MethodDescriptor<?, ?> m : generatedDescriptor.getMethods()) {
      descriptor.addMethod(m == standard ? inPlace : m);
    }
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(descriptor.build());
    for (ServerMethodDefinition<?, ?> m : generated.getMethods()) {
      if (m.getMethodDescriptor() != standard) {
        b.addMethod(m);
      }
    }
    return b.addMethod(inPlace, new ModelInferCalls(service)).build();
  }

  private static StrataException unsupportedParameters(java.util.Set<String> names) {
    return new StrataException(
        ErrorCode.INVALID_ARGUMENT,
        "parameters "
            + names
            + " are not supported: load reads the model's config.json or config.pbtxt from the"
            + " repository");
  }

  private static <T> void reply(StreamObserver<T> out, Supplier<T> body) {
    T response;
    try {
      response = body.get();
    } catch (RuntimeException e) {
      fail(out, e);
      return;
    }
    out.onNext(response);
    out.onCompleted();
  }

  private <T> void completeAsync(StreamObserver<T> out, Supplier<T> body) {
    CompletableFuture.supplyAsync(body, control)
        .whenComplete(
            (response, failure) -> {
              if (failure != null) {
                fail(out, failure);
              } else {
                out.onNext(response);
                out.onCompleted();
              }
            });
  }

  private static void fail(StreamObserver<?> out, Throwable failure) {
    Throwable t = HttpErrors.unwrap(failure);
    if (!(t instanceof StrataException)
        && !(t instanceof java.util.concurrent.CancellationException)) {
      log.error("unexpected failure in a gRPC call", t);
    }
    try {
      out.onError(GrpcStatus.toStatusException(t));
    } catch (IllegalStateException alreadyClosed) {
      // The client went away; nothing to tell it.
    }
  }
}
