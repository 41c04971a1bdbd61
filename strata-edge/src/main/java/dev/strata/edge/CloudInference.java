package dev.strata.edge;

import static java.util.Objects.requireNonNull;

import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.StrataException;
import dev.strata.protocol.client.InferOptions;
import dev.strata.protocol.client.StrataClient;
import java.util.concurrent.CompletableFuture;

/** Where the edge sends the requests its policies give to the cloud. */
@FunctionalInterface
public interface CloudInference {
  /**
   * Sends a request to the cloud's Open Inference Protocol endpoint; the future fails with a {@link
   * StrataException} when the cloud does not answer (UNAVAILABLE, DEADLINE_EXCEEDED...).
   */
  CompletableFuture<InferenceResponse> infer(InferenceRequest request);

  /** A cloud that is never there: every call fails UNAVAILABLE. */
  CloudInference NONE =
      request ->
          CompletableFuture.failedFuture(
              StrataException.unavailable("no cloud is configured for inference"));

  /** Over a client (binary tensors both ways). */
  static CloudInference of(StrataClient client) {
    requireNonNull(client, "client");
    return request -> client.inferAsync(request, InferOptions.BINARY);
  }
}
