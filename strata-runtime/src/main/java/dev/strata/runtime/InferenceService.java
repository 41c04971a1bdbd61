package dev.strata.runtime;

import dev.strata.core.ErrorCode;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.ModelMetadata;
import dev.strata.core.ModelStatistics;
import dev.strata.core.RepositoryEntry;
import dev.strata.core.ServerMetadata;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import dev.strata.modelconfig.Triton;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What the serving layer (HTTP, gRPC, the edge agent) asks of the runtime. Every failure is a
 * {@link dev.strata.core.StrataException} with a code, thrown or completing the future.
 */
public interface InferenceService extends AutoCloseable {

  ServerMetadata serverMetadata();

  /** The process is up (false only once shutdown has completed). */
  boolean live();

  /** Ready to serve: not shutting down, and every model loaded at startup is ready. */
  boolean ready();

  /**
   * Metadata of a model (its newest ready version when {@code version} is empty).
   *
   * @throws dev.strata.core.StrataException NOT_FOUND for an unknown model or version
   */
  ModelMetadata modelMetadata(String model, Optional<String> version);

  /**
   * The effective configuration of a model version (its newest ready version when {@code version}
   * is empty) in Triton's model configuration schema, whichever way it was made: from {@code
   * config.pbtxt}, {@code config.json}, or derived from the ONNX file and the runtime's defaults.
   * Shapes leave out the batch dimension when {@code max_batch_size > 0}, as in Triton.
   *
   * @throws dev.strata.core.StrataException NOT_FOUND for an unknown model or version, UNAVAILABLE
   *     when it has no ready version, UNIMPLEMENTED where the service has no configuration to show
   */
  default Triton.ModelConfig modelConfig(String model, Optional<String> version) {
    throw new StrataException(
        ErrorCode.UNIMPLEMENTED, "this server does not show model configurations");
  }

  /** Whether the model (or that version) is loaded, warmed up and serving. */
  boolean modelReady(String model, Optional<String> version);

  /**
   * Queues a request on the model version's scheduler. The future fails with INVALID_ARGUMENT for a
   * request that does not fit the model's signature, NOT_FOUND for an unknown model or version,
   * UNAVAILABLE when not ready, RESOURCE_EXHAUSTED when the queue is full (at once, without
   * queueing), DEADLINE_EXCEEDED when the timeout passes first. Cancelling the future before the
   * request is picked up means it never runs. The future completes on a runtime worker thread, so
   * dependent stages should be short or move to their own executor.
   */
  CompletableFuture<InferenceResponse> infer(InferenceRequest request);

  /**
   * {@link #infer(InferenceRequest)} for a request whose input tensors are views of memory that the
   * caller reuses once {@code release} has run, such as the pooled network buffers a request body
   * arrived in. The service runs {@code release} exactly once, when it reads the inputs no more: at
   * once for a request it turns away, when a queued request leaves the queue (cancelled, timed out,
   * shut down), or when the execution that read it ends, which for a request cancelled or timed out
   * while it runs is after its future completed. Nothing the future returns refers to the inputs.
   *
   * <p>This default copies the inputs and releases them before queueing; the runtime reads them in
   * place. A decorator that hands the request on unchanged should pass {@code release} on.
   */
  default CompletableFuture<InferenceResponse> infer(InferenceRequest request, Runnable release) {
    InferenceRequest owned;
    try {
      List<Tensor> copies = new ArrayList<>(request.inputs().size());
      for (Tensor t : request.inputs()) {
        copies.add(t.copy());
      }
      owned = request.withInputs(copies);
    } finally {
      release.run();
    }
    return infer(owned);
  }

  /**
   * Statistics of every ready version of every model, of one model, or of one version.
   *
   * @throws dev.strata.core.StrataException NOT_FOUND for an unknown model or version
   */
  List<ModelStatistics> statistics(Optional<String> model, Optional<String> version);

  /** The models in the repository and the state of each version. */
  List<RepositoryEntry> repositoryIndex(boolean readyOnly);

  /**
   * Loads (or reloads) a model from the repository and returns once its versions are ready. New
   * versions load while the old ones keep serving; the switch is atomic; retired versions drain and
   * then free their sessions.
   *
   * @throws dev.strata.core.StrataException NOT_FOUND when the repository has no such model,
   *     INVALID_ARGUMENT when its config or ONNX file is bad (the old versions keep serving)
   */
  void load(String model);

  /**
   * Unloads every version of a model: stops accepting, drains queued and running requests, closes
   * the ONNX Runtime sessions.
   *
   * @throws dev.strata.core.StrataException NOT_FOUND for an unknown model
   */
  void unload(String model);

  /**
   * Stops accepting requests (ready becomes false), waits up to {@code timeout} for queued and
   * running requests to finish, fails the rest with UNAVAILABLE, and frees every session.
   */
  void shutdown(Duration timeout);

  /** {@link #shutdown(Duration)} with the configured drain timeout. */
  @Override
  void close();
}
