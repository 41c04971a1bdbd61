package dev.strata.protocol.client;

import static java.util.Objects.requireNonNull;

import dev.strata.core.ErrorCode;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.ModelMetadata;
import dev.strata.core.ModelStatistics;
import dev.strata.core.RepositoryEntry;
import dev.strata.core.ServerMetadata;
import dev.strata.core.StrataException;
import dev.strata.modelconfig.Triton;
import dev.strata.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.strata.protocol.grpc.GrpcConverters;
import dev.strata.protocol.grpc.GrpcStatus;
import dev.strata.protocol.grpc.ModelConfigRequest;
import dev.strata.protocol.grpc.ModelInferRequest;
import dev.strata.protocol.grpc.ModelInferResponse;
import dev.strata.protocol.grpc.ModelMetadataRequest;
import dev.strata.protocol.grpc.ModelReadyRequest;
import dev.strata.protocol.grpc.ModelStatisticsRequest;
import dev.strata.protocol.grpc.RepositoryIndexRequest;
import dev.strata.protocol.grpc.RepositoryModelLoadRequest;
import dev.strata.protocol.grpc.RepositoryModelUnloadRequest;
import dev.strata.protocol.grpc.ServerLiveRequest;
import dev.strata.protocol.grpc.ServerMetadataRequest;
import dev.strata.protocol.grpc.ServerReadyRequest;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.netty.channel.ChannelOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** {@link StrataClient} over gRPC: blocking stubs for sync calls, async stubs for futures. */
final class GrpcStrataClient implements StrataClient {
  private final ManagedChannel channel;
  private final ClientConfig config;
  private final GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub blocking;
  private final GRPCInferenceServiceGrpc.GRPCInferenceServiceStub async;

  /** Takes ownership of {@code channel}: {@link #close()} shuts it down. */
  GrpcStrataClient(ManagedChannel channel, ClientConfig config) {
    this.channel = requireNonNull(channel, "channel");
    this.config = requireNonNull(config, "config");
    this.blocking = GRPCInferenceServiceGrpc.newBlockingStub(channel);
    this.async = GRPCInferenceServiceGrpc.newStub(channel);
  }

  static GrpcStrataClient create(ClientConfig config) {
    NettyChannelBuilder builder = NettyChannelBuilder.forAddress(config.host(), config.port());
    if (config.tls()) {
      builder.useTransportSecurity(); // the JVM's default trust store, host name checked
    } else {
      builder.usePlaintext();
    }
    ManagedChannel channel =
        builder
            .maxInboundMessageSize(config.maxMessageBytes())
            .withOption(
                ChannelOption.CONNECT_TIMEOUT_MILLIS,
                (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
            // Responses are decoded on the transport thread, saving a handoff per call.
            .directExecutor()
            .intercept(headers(config))
            .build();
    return new GrpcStrataClient(channel, config);
  }

  private static ClientInterceptor headers(ClientConfig config) {
    Metadata extra = new Metadata();
    config
        .headers()
        .forEach(
            (name, value) ->
                extra.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value));
    return MetadataUtils.newAttachHeadersInterceptor(extra);
  }

  private GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub blocking(Duration timeout) {
    return blocking.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  private <T> T call(Supplier<T> rpc) {
    try {
      return rpc.get();
    } catch (StatusRuntimeException e) {
      throw connectionFailure(e).orElseGet(() -> GrpcStatus.toStrataException(e));
    }
  }

  /**
   * An UNAVAILABLE or INTERNAL that is about the address, in the words the REST client uses:
   * nothing listens there, or what listens speaks HTTP/1.1 (grpc-java: "First received frame was
   * not SETTINGS", with the first bytes in hex, "HTTP/" being 485454502f).
   */
  private Optional<StrataException> connectionFailure(StatusRuntimeException e) {
    io.grpc.Status.Code code = e.getStatus().getCode();
    if (code != io.grpc.Status.Code.UNAVAILABLE && code != io.grpc.Status.Code.INTERNAL) {
      return Optional.empty(); // (an HTTP/1.1 answer is an HTTP/2 protocol error: INTERNAL)
    }
    String address = config.host() + ":" + config.port();
    String description = String.valueOf(e.getStatus().getDescription());
    for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
      if (c instanceof java.net.ConnectException) {
        return Optional.of(
            new StrataException(
                ErrorCode.UNAVAILABLE,
                "cannot connect to " + address + ": " + c.getMessage().replaceAll(":.*", ""),
                e));
      }
      description += " " + c.getMessage();
    }
    if (description.contains("485454502f") || description.contains("HTTP/1.")) {
      return Optional.of(
          new StrataException(
              ErrorCode.UNAVAILABLE,
              address
                  + " answered with HTTP/1.1, not gRPC: it is a REST port (use --url http://"
                  + address
                  + ", or the server's gRPC port)",
              e));
    }
    return Optional.empty();
  }

  @Override
  public boolean live() {
    return call(
        () ->
            blocking(config.timeout())
                .serverLive(ServerLiveRequest.getDefaultInstance())
                .getLive());
  }

  @Override
  public boolean ready() {
    return call(
        () ->
            blocking(config.timeout())
                .serverReady(ServerReadyRequest.getDefaultInstance())
                .getReady());
  }

  @Override
  public ServerMetadata serverMetadata() {
    return call(
        () ->
            GrpcConverters.serverMetadata(
                blocking(config.timeout())
                    .serverMetadata(ServerMetadataRequest.getDefaultInstance())));
  }

  @Override
  public ModelMetadata modelMetadata(String model, Optional<String> version) {
    ModelMetadataRequest request =
        ModelMetadataRequest.newBuilder()
            .setName(requireNonNull(model, "model"))
            .setVersion(version.orElse(""))
            .build();
    return call(
        () -> GrpcConverters.modelMetadata(blocking(config.timeout()).modelMetadata(request)));
  }

  @Override
  public Triton.ModelConfig modelConfig(String model, Optional<String> version) {
    ModelConfigRequest request =
        ModelConfigRequest.newBuilder()
            .setName(requireNonNull(model, "model"))
            .setVersion(version.orElse(""))
            .build();
    return call(() -> blocking(config.timeout()).modelConfig(request).getConfig());
  }

  @Override
  public boolean modelReady(String model, Optional<String> version) {
    ModelReadyRequest request =
        ModelReadyRequest.newBuilder()
            .setName(requireNonNull(model, "model"))
            .setVersion(version.orElse(""))
            .build();
    return call(() -> blocking(config.timeout()).modelReady(request).getReady());
  }

  @Override
  public InferenceResponse infer(InferenceRequest request, InferOptions options) {
    ModelInferRequest message = GrpcConverters.modelInferRequest(request, options.binaryInputs());
    ModelInferResponse response = call(() -> blocking(timeout(request)).modelInfer(message));
    return decoded(response);
  }

  @Override
  public CompletableFuture<InferenceResponse> inferAsync(
      InferenceRequest request, InferOptions options) {
    ModelInferRequest message;
    try {
      message = GrpcConverters.modelInferRequest(request, options.binaryInputs());
    } catch (StrataException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<InferenceResponse> future = new CompletableFuture<>();
    async
        .withDeadlineAfter(timeout(request).toNanos(), TimeUnit.NANOSECONDS)
        .modelInfer(
            message,
            new StreamObserver<>() {
              private ModelInferResponse response;

              @Override
              public void onNext(ModelInferResponse value) {
                response = value;
              }

              @Override
              public void onError(Throwable t) {
                future.completeExceptionally(
                    t instanceof StatusRuntimeException e
                        ? connectionFailure(e).orElseGet(() -> GrpcStatus.toStrataException(e))
                        : GrpcStatus.toStrataException(t));
              }

              @Override
              public void onCompleted() {
                try {
                  future.complete(decoded(response));
                } catch (StrataException e) {
                  future.completeExceptionally(e);
                }
              }
            });
    return future;
  }

  private Duration timeout(InferenceRequest request) {
    return request.timeout().orElse(config.timeout());
  }

  private static InferenceResponse decoded(ModelInferResponse response) {
    if (response == null) {
      throw new StrataException(ErrorCode.INTERNAL, "the server sent no ModelInferResponse");
    }
    try {
      return GrpcConverters.inferenceResponse(response);
    } catch (StrataException e) {
      throw new StrataException(ErrorCode.INTERNAL, "unreadable response: " + e.getMessage(), e);
    }
  }

  @Override
  public List<ModelStatistics> statistics(Optional<String> model, Optional<String> version) {
    ModelStatisticsRequest request =
        ModelStatisticsRequest.newBuilder()
            .setName(model.orElse(""))
            .setVersion(version.orElse(""))
            .build();
    return call(
        () -> GrpcConverters.modelStatistics(blocking(config.timeout()).modelStatistics(request)));
  }

  @Override
  public List<RepositoryEntry> repositoryIndex(boolean readyOnly) {
    RepositoryIndexRequest request =
        RepositoryIndexRequest.newBuilder().setReady(readyOnly).build();
    return call(
        () -> GrpcConverters.repositoryIndex(blocking(config.timeout()).repositoryIndex(request)));
  }

  @Override
  public void load(String model) {
    RepositoryModelLoadRequest request =
        RepositoryModelLoadRequest.newBuilder()
            .setModelName(requireNonNull(model, "model"))
            .build();
    call(() -> blocking(config.timeout()).repositoryModelLoad(request));
  }

  @Override
  public void unload(String model) {
    RepositoryModelUnloadRequest request =
        RepositoryModelUnloadRequest.newBuilder()
            .setModelName(requireNonNull(model, "model"))
            .build();
    call(() -> blocking(config.timeout()).repositoryModelUnload(request));
  }

  @Override
  public void close() {
    channel.shutdown();
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
