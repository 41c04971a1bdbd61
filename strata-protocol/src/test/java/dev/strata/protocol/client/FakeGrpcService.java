package dev.strata.protocol.client;

import dev.strata.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.strata.protocol.grpc.GrpcConverters;
import dev.strata.protocol.grpc.GrpcStatus;
import dev.strata.protocol.grpc.ModelInferRequest;
import dev.strata.protocol.grpc.ModelInferResponse;
import dev.strata.protocol.grpc.ModelMetadataRequest;
import dev.strata.protocol.grpc.ModelMetadataResponse;
import dev.strata.protocol.grpc.ModelReadyRequest;
import dev.strata.protocol.grpc.ModelReadyResponse;
import dev.strata.protocol.grpc.ModelStatisticsRequest;
import dev.strata.protocol.grpc.ModelStatisticsResponse;
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
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** A gRPC service over {@link FakeModels}, written the way a real server would use the codecs. */
final class FakeGrpcService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {
  private final FakeModels models;

  FakeGrpcService(FakeModels models) {
    this.models = models;
  }

  private static <T> void answer(StreamObserver<T> observer, Supplier<T> body) {
    T value;
    try {
      value = body.get();
    } catch (RuntimeException e) {
      observer.onError(GrpcStatus.toStatusException(e));
      return;
    }
    observer.onNext(value);
    observer.onCompleted();
  }

  @Override
  public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> observer) {
    answer(observer, () -> ServerLiveResponse.newBuilder().setLive(true).build());
  }

  @Override
  public void serverReady(
      ServerReadyRequest request, StreamObserver<ServerReadyResponse> observer) {
    answer(observer, () -> ServerReadyResponse.newBuilder().setReady(true).build());
  }

  @Override
  public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> observer) {
    answer(
        observer,
        () ->
            ModelReadyResponse.newBuilder().setReady(models.modelReady(request.getName())).build());
  }

  @Override
  public void serverMetadata(
      ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> observer) {
    answer(observer, () -> GrpcConverters.serverMetadataResponse(models.serverMetadata()));
  }

  @Override
  public void modelMetadata(
      ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> observer) {
    answer(
        observer,
        () ->
            GrpcConverters.modelMetadataResponse(
                models.modelMetadata(
                    request.getName(), GrpcConverters.optional(request.getVersion()))));
  }

  @Override
  public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> observer) {
    answer(
        observer,
        () -> {
          Deadline deadline = Context.current().getDeadline();
          Optional<Duration> left =
              deadline == null
                  ? Optional.empty()
                  : Optional.of(Duration.ofNanos(deadline.timeRemaining(TimeUnit.NANOSECONDS)));
          return GrpcConverters.modelInferResponse(
              models.infer(GrpcConverters.inferenceRequest(request, left)));
        });
  }

  @Override
  public void modelStatistics(
      ModelStatisticsRequest request, StreamObserver<ModelStatisticsResponse> observer) {
    answer(
        observer,
        () ->
            GrpcConverters.modelStatisticsResponse(
                models.statistics(GrpcConverters.optional(request.getName()))));
  }

  @Override
  public void repositoryIndex(
      RepositoryIndexRequest request, StreamObserver<RepositoryIndexResponse> observer) {
    answer(
        observer, () -> GrpcConverters.repositoryIndexResponse(models.index(request.getReady())));
  }

  @Override
  public void repositoryModelLoad(
      RepositoryModelLoadRequest request, StreamObserver<RepositoryModelLoadResponse> observer) {
    answer(
        observer,
        () -> {
          models.load(request.getModelName());
          return RepositoryModelLoadResponse.getDefaultInstance();
        });
  }

  @Override
  public void repositoryModelUnload(
      RepositoryModelUnloadRequest request,
      StreamObserver<RepositoryModelUnloadResponse> observer) {
    answer(
        observer,
        () -> {
          models.unload(request.getModelName());
          return RepositoryModelUnloadResponse.getDefaultInstance();
        });
  }
}
