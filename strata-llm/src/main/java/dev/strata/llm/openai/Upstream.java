package dev.strata.llm.openai;

import static java.util.Objects.requireNonNull;

import dev.strata.control.InferencePolicy;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * Another server that may answer this one's generation requests: the cloud, as an edge sees it.
 * {@link OpenAiRoutes} asks it for the policy of each model; where there is one, the policy decides
 * who answers ({@code edge-only}, {@code cloud-only}, {@code cascade} with {@code AGREEMENT},
 * {@code offload-when-busy}), and the request goes to the upstream's own {@code /v1} for the model
 * the policy names when the upstream is to answer.
 */
public interface Upstream {
  /** No upstream: this server answers everything. */
  Upstream NONE =
      new Upstream() {
        @Override
        public Optional<Route> route(String model) {
          return Optional.empty();
        }

        @Override
        public CompletableFuture<Response> post(
            String path, byte[] body, boolean stream, Duration timeout) {
          return CompletableFuture.failedFuture(
              new IllegalStateException("no upstream is configured"));
        }
      };

  /**
   * How requests for a model are shared.
   *
   * @param deployment what decided it (the edge's deployment), for logs
   * @param policy who answers
   * @param upstreamModel the model the upstream answers with
   */
  record Route(String deployment, InferencePolicy policy, String upstreamModel) {
    public Route {
      requireNonNull(deployment, "deployment");
      requireNonNull(policy, "policy");
      requireNonNull(upstreamModel, "upstreamModel");
    }
  }

  /**
   * The upstream's answer: its status and either the whole body or, for a stream that the upstream
   * accepted (status 200), its lines as they come (closing the stream ends the call).
   */
  record Response(int status, byte[] body, Optional<Stream<String>> lines) {
    public Response {
      requireNonNull(body, "body");
      requireNonNull(lines, "lines");
    }
  }

  /** The route of {@code model}'s requests; empty when this server answers them alone. */
  Optional<Route> route(String model);

  /**
   * POSTs an OpenAI request body to the upstream's {@code path} ({@code /v1/completions} or {@code
   * /v1/chat/completions}); fails when the upstream cannot be reached in {@code timeout} (for a
   * stream: until its headers arrive).
   */
  CompletableFuture<Response> post(String path, byte[] body, boolean stream, Duration timeout);

  /**
   * Whether a call may go upstream now (a circuit breaker may hold calls back while it is down).
   */
  default boolean available() {
    return true;
  }

  /** Says how the last call went: {@code true} when the upstream answered. */
  default void answered(boolean ok) {}

  /** How long a generation waits for the upstream. */
  default Duration timeout() {
    return Duration.ofSeconds(30);
  }

  /**
   * A request routed by {@link #route} finished.
   *
   * @param servedBy {@code edge}, {@code cloud} or {@code edge-fallback}; empty when it failed
   * @param escalated whether the upstream was asked
   */
  default void completed(
      String model, Optional<String> servedBy, boolean escalated, long latencyNanos) {}
}
