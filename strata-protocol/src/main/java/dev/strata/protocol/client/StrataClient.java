package dev.strata.protocol.client;

import dev.strata.core.ErrorCode;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.ModelMetadata;
import dev.strata.core.ModelStatistics;
import dev.strata.core.RepositoryEntry;
import dev.strata.core.ServerMetadata;
import dev.strata.core.StrataException;
import dev.strata.modelconfig.Triton;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A client of an Open Inference Protocol server (Strata, Triton, KServe), over REST or gRPC. Every
 * failure is a {@link dev.strata.core.StrataException} carrying the server's code and message
 * (UNAVAILABLE when the server cannot be reached, DEADLINE_EXCEEDED when the call's timeout
 * passes); async calls complete exceptionally with it. Thread-safe: share one client.
 *
 * <p>Async futures complete on the client's I/O thread: chain only cheap work on them, or hand off
 * with the {@code *Async(..., executor)} variants of CompletableFuture.
 */
public interface StrataClient extends AutoCloseable {

  /** A REST client: HTTP/1.1 keep-alive connections over Netty. */
  static RestClient rest(ClientConfig config) {
    return new NettyRestClient(config);
  }

  /** A gRPC client: one HTTP/2 connection over grpc-java's Netty transport. */
  static StrataClient grpc(ClientConfig config) {
    return GrpcStrataClient.create(config);
  }

  /** Whether the server says it is live. */
  boolean live();

  /** Whether the server says it is ready. */
  boolean ready();

  ServerMetadata serverMetadata();

  /** A model's metadata; NOT_FOUND for an unknown model or version. */
  ModelMetadata modelMetadata(String model, Optional<String> version);

  boolean modelReady(String model, Optional<String> version);

  /**
   * The configuration a model version is served with (Triton's model configuration extension);
   * NOT_FOUND for an unknown model or version.
   */
  default Triton.ModelConfig modelConfig(String model, Optional<String> version) {
    throw new StrataException(
        ErrorCode.UNIMPLEMENTED, "this client does not ask for model configurations");
  }

  /** Runs a request with binary inputs and outputs. */
  default InferenceResponse infer(InferenceRequest request) {
    return infer(request, InferOptions.BINARY);
  }

  InferenceResponse infer(InferenceRequest request, InferOptions options);

  default CompletableFuture<InferenceResponse> inferAsync(InferenceRequest request) {
    return inferAsync(request, InferOptions.BINARY);
  }

  CompletableFuture<InferenceResponse> inferAsync(InferenceRequest request, InferOptions options);

  /** Statistics of every model, of one model, or of one version. */
  List<ModelStatistics> statistics(Optional<String> model, Optional<String> version);

  /** The models in the server's repository. */
  List<RepositoryEntry> repositoryIndex(boolean readyOnly);

  default List<RepositoryEntry> repositoryIndex() {
    return repositoryIndex(false);
  }

  /** Loads or reloads a model; returns once the server has it ready. */
  void load(String model);

  void unload(String model);

  /** Closes connections; calls still running fail with UNAVAILABLE. */
  @Override
  void close();
}
