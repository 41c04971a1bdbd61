package dev.strata.edge;

import static java.util.Objects.requireNonNull;

import dev.strata.llm.openai.Upstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The cloud's OpenAI-compatible API ({@code /v1} at the cloud's inference URL) as the edge's {@code
 * /v1} routes see it: each language model's route comes from its deployment's policy, calls carry
 * the node credential as a bearer token, a circuit breaker holds calls back while the cloud is
 * down, and every routed request is told to the edge's listener (telemetry counts who served it).
 */
final class OpenAiCloud implements Upstream, AutoCloseable {
  /**
   * How long a generation waits for the cloud: a whole answer, or a stream's first bytes. Longer
   * than a classifier's escalation, since the cloud generates the whole answer in that time.
   */
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final CollaborativeInferenceService service;
  private final URI base;
  private final Supplier<Optional<String>> credential;
  private final InferenceListener listener;
  private final CloudCircuit circuit = CloudCircuit.standard();
  private final HttpClient http;

  OpenAiCloud(
      CollaborativeInferenceService service,
      URI inferenceUrl,
      Duration connectTimeout,
      Supplier<Optional<String>> credential,
      InferenceListener listener) {
    this.service = requireNonNull(service, "service");
    String u = inferenceUrl.toString();
    this.base = URI.create(u.endsWith("/") ? u.substring(0, u.length() - 1) : u);
    this.credential = requireNonNull(credential, "credential");
    this.listener = requireNonNull(listener, "listener");
    this.http = HttpClient.newBuilder().connectTimeout(connectTimeout).build();
  }

  @Override
  public Optional<Route> route(String model) {
    EdgeDeployment d = service.deployments().get(model);
    return d == null
        ? Optional.empty()
        : Optional.of(new Route(d.deployment(), d.policy(), d.cloudModel()));
  }

  @Override
  public CompletableFuture<Response> post(
      String path, byte[] body, boolean stream, Duration timeout) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    credential.get().ifPresent(c -> b.header("Authorization", "Bearer " + c));
    if (!stream) {
      return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray())
          .thenApply(r -> new Response(r.statusCode(), r.body(), Optional.empty()));
    }
    return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofLines())
        .thenApply(
            r -> {
              if (r.statusCode() == 200) {
                return new Response(200, new byte[0], Optional.of(r.body()));
              }
              String text;
              try (var lines = r.body()) {
                text = String.join("\n", lines.toList());
              }
              return new Response(
                  r.statusCode(),
                  text.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                  Optional.empty());
            });
  }

  @Override
  public boolean available() {
    return circuit.allow();
  }

  @Override
  public void answered(boolean ok) {
    if (ok) {
      circuit.succeeded();
    } else {
      circuit.failed();
    }
  }

  @Override
  public Duration timeout() {
    return TIMEOUT;
  }

  @Override
  public void completed(
      String model, Optional<String> servedBy, boolean escalated, long latencyNanos) {
    EdgeDeployment d = service.deployments().get(model);
    if (d == null) {
      return;
    }
    Optional<ServedBy> by = servedBy.map(ServedBy::of);
    listener.completed(d, new InferenceOutcome(by, escalated, latencyNanos));
  }

  @Override
  public void close() {
    http.close();
  }
}
