package dev.strata.protocol.client;

import dev.strata.core.InferenceResponse;
import dev.strata.protocol.rest.EncodedBody;
import dev.strata.protocol.rest.RestCodec;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** A {@link StrataClient} over REST, which can also send inference bodies encoded beforehand. */
public interface RestClient extends StrataClient {

  /**
   * Sends an inference body encoded once with {@link RestCodec#encodeInferRequest} and reused: load
   * generators then measure the server, not the client's JSON encoding. The body is not modified
   * and may be sent any number of times, also concurrently.
   *
   * @param timeout how long to wait for the response
   */
  CompletableFuture<InferenceResponse> inferAsync(
      String model, Optional<String> version, EncodedBody body, Duration timeout);
}
