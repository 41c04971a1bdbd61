package dev.strata.edge;

import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.protocol.client.ClientConfig;
import dev.strata.protocol.client.InferOptions;
import dev.strata.protocol.client.StrataClient;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The cloud's Open Inference Protocol endpoint as the edge calls it: a REST client with binary
 * tensors, sending the node credential as a bearer token once the node has one (the client is
 * rebuilt when it changes).
 */
final class CloudClient implements CloudInference, AutoCloseable {
  private final ClientConfig base;
  private volatile StrataClient client;

  CloudClient(URI url, Duration timeout, Duration connectTimeout, Optional<String> credential) {
    this.base = config(url, timeout, connectTimeout);
    this.client = StrataClient.rest(configFor(credential));
  }

  /** How the cloud at {@code url} is reached: over TLS when it is an {@code https} URL. */
  static ClientConfig config(URI url, Duration timeout, Duration connectTimeout) {
    boolean https = url.getScheme().equalsIgnoreCase("https");
    int port = url.getPort() > 0 ? url.getPort() : https ? 443 : 80;
    return ClientConfig.of(url.getHost(), port)
        .withTimeout(timeout)
        .withConnectTimeout(connectTimeout)
        .withTls(https);
  }

  private ClientConfig configFor(Optional<String> credential) {
    return credential.map(c -> base.withHeader("Authorization", "Bearer " + c)).orElse(base);
  }

  /** Sends {@code credential} from now on. */
  void credential(String credential) {
    StrataClient old = client;
    client = StrataClient.rest(configFor(Optional.of(credential)));
    old.close();
  }

  @Override
  public CompletableFuture<InferenceResponse> infer(InferenceRequest request) {
    return client.inferAsync(request, InferOptions.BINARY);
  }

  @Override
  public void close() {
    client.close();
  }
}
