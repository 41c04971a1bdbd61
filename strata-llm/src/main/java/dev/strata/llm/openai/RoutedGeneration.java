package dev.strata.llm.openai;

import static dev.strata.llm.openai.OpenAiRoutes.SERVED_CLOUD;
import static dev.strata.llm.openai.OpenAiRoutes.SERVED_EDGE;
import static dev.strata.llm.openai.OpenAiRoutes.SERVED_EDGE_FALLBACK;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.control.ConfidenceMeasure;
import dev.strata.control.InferencePolicy;
import dev.strata.control.Json;
import dev.strata.llm.generate.SampledAgreement;
import dev.strata.serving.EventStream;
import dev.strata.serving.HttpErrors;
import dev.strata.serving.HttpResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One generation request whose model has a collaborative policy ({@link Upstream.Route}):
 *
 * <ul>
 *   <li>{@code edge-only}: generated here;
 *   <li>{@code cloud-only}: the upstream generates it (the request as the client sent it, for the
 *       upstream's model), streamed through when asked for a stream;
 *   <li>{@code offload-when-busy}: the upstream while more than {@code queueLimit} generations run
 *       or wait here, else here;
 *   <li>{@code cascade} with {@code AGREEMENT}: generated here with its {@link SampledAgreement}
 *       score; an answer scoring under the threshold goes to the upstream instead. The decision is
 *       made before the first byte, so a streamed cascade answer starts once the edge's answer is
 *       whole.
 * </ul>
 *
 * Whenever the upstream does not answer (unreachable, circuit open, timeout, an error status), the
 * answer generated here is returned, marked {@code edge-fallback} with the upstream's error. Every
 * answer carries {@code "strata": {"served_by": ..., "confidence": ..., "confidence_measure": ...,
 * "cloud_error": ...}} (whole: in the body; streamed: in the first chunk) and the header {@code
 * X-Strata-Served-By}; {@code model} is always the model the client asked for.
 */
final class RoutedGeneration {
  private static final Logger LOG = LoggerFactory.getLogger(RoutedGeneration.class);

  private final OpenAiRoutes routes;
  private final OpenAiRoutes.Answer answer;
  private final Upstream.Route route;
  private final boolean chat;
  private final ObjectNode body;
  private volatile boolean escalated;
  private volatile String servedBy;

  RoutedGeneration(
      OpenAiRoutes routes,
      OpenAiRoutes.Answer answer,
      Upstream.Route route,
      boolean chat,
      ObjectNode body) {
    this.routes = routes;
    this.answer = answer;
    this.route = route;
    this.chat = chat;
    this.body = body;
  }

  CompletionStage<HttpResult> start() {
    CompletableFuture<HttpResult> result =
        switch (route.policy()) {
          case InferencePolicy.EdgeOnly e -> here(OpenAiRoutes.marks(SERVED_EDGE));
          case InferencePolicy.CloudOnly c -> upstreamFirst();
          case InferencePolicy.OffloadWhenBusy o ->
              answer.loaded.engine().load() > o.queueLimit()
                  ? upstreamFirst()
                  : here(OpenAiRoutes.marks(SERVED_EDGE));
          case InferencePolicy.Cascade c -> {
            if (c.measure() != ConfidenceMeasure.AGREEMENT) {
              routes.warnOnce(
                  route.deployment(),
                  "deployment {}: a cascade over language model '{}' needs the measure AGREEMENT"
                      + " (it has {}); the edge answers",
                  route.deployment(),
                  answer.model,
                  c.measure());
              yield here(OpenAiRoutes.marks(SERVED_EDGE));
            }
            yield cascade(c.threshold());
          }
        };
    long start = answer.start;
    result.whenComplete(
        (r, error) ->
            routes.upstream.completed(
                answer.model,
                error == null ? Optional.ofNullable(servedBy) : Optional.empty(),
                escalated,
                System.nanoTime() - start));
    return result;
  }

  /** Generated here under {@code marks}. */
  private CompletableFuture<HttpResult> here(ObjectNode marks) {
    servedBy = marks.path("served_by").asText();
    answer.marks = marks;
    return answer.local().toCompletableFuture();
  }

  /** The upstream answers, or this server when it does not. */
  private CompletableFuture<HttpResult> upstreamFirst() {
    escalated = true;
    return callUpstream()
        .handle(
            (response, error) -> {
              if (error == null) {
                return relay(response, OpenAiRoutes.marks(SERVED_CLOUD));
              }
              ObjectNode marks = OpenAiRoutes.marks(SERVED_EDGE_FALLBACK);
              marks.put("cloud_error", reason(error));
              return here(marks);
            })
        .thenCompose(f -> f);
  }

  private CompletableFuture<HttpResult> cascade(double threshold) {
    return SampledAgreement.run(answer.loaded.engine(), answer.request)
        .thenCompose(
            scored -> {
              ObjectNode marks = OpenAiRoutes.marks(SERVED_EDGE);
              marks.put("confidence", Math.round(scored.score() * 1e6) / 1e6);
              marks.put("confidence_measure", ConfidenceMeasure.AGREEMENT.name());
              if (scored.score() >= threshold) {
                return CompletableFuture.completedFuture(replay(scored, marks));
              }
              escalated = true;
              return callUpstream()
                  .handle(
                      (response, error) -> {
                        if (error == null) {
                          marks.put("served_by", SERVED_CLOUD);
                          return relay(response, marks);
                        }
                        marks.put("served_by", SERVED_EDGE_FALLBACK);
                        marks.put("cloud_error", reason(error));
                        return CompletableFuture.completedFuture(replay(scored, marks));
                      })
                  .thenCompose(f -> f);
            });
  }

  private HttpResult replay(SampledAgreement.Scored scored, ObjectNode marks) {
    servedBy = marks.path("served_by").asText();
    answer.marks = marks;
    return answer.replay(scored);
  }

  /** The request as the client sent it, for the upstream's model. */
  private CompletableFuture<Upstream.Response> callUpstream() {
    Upstream upstream = routes.upstream;
    if (!upstream.available()) {
      return CompletableFuture.failedFuture(
          new UpstreamException("the cloud is not answering (circuit open)"));
    }
    ObjectNode request = body.deepCopy();
    request.put("model", route.upstreamModel());
    request.remove("strata");
    String path = chat ? "/v1/chat/completions" : "/v1/completions";
    CompletableFuture<Upstream.Response> call;
    try {
      call =
          upstream.post(
              path,
              request.toString().getBytes(StandardCharsets.UTF_8),
              answer.stream,
              upstream.timeout());
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    return call.handle(
        (response, error) -> {
          if (error != null) {
            upstream.answered(false);
            throw new CompletionException(
                new UpstreamException("the cloud did not answer: " + HttpErrors.unwrap(error)));
          }
          upstream.answered(response.status() < 500);
          if (response.status() != 200) {
            response.lines().ifPresent(Stream::close);
            throw new CompletionException(
                new UpstreamException(
                    "the cloud answered "
                        + response.status()
                        + ": "
                        + errorMessage(response.body())));
          }
          return response;
        });
  }

  /** The upstream's answer to the client, under the model asked for, marked. */
  private CompletableFuture<HttpResult> relay(Upstream.Response response, ObjectNode marks) {
    servedBy = marks.path("served_by").asText();
    if (response.lines().isEmpty()) {
      JsonNode tree;
      try {
        tree = Json.mapper().readTree(response.body());
      } catch (IOException e) {
        tree = null;
      }
      if (!(tree instanceof ObjectNode o)) {
        marks.put("served_by", SERVED_EDGE_FALLBACK);
        marks.put("cloud_error", "the cloud's answer is not a JSON object");
        return here(marks);
      }
      o.put("model", answer.model);
      o.set("strata", marks);
      routes.metrics.served(answer.model, servedBy);
      return CompletableFuture.completedFuture(OpenAiRoutes.jsonMarked(200, o, marks));
    }
    EventStream events = EventStream.create();
    Stream<String> lines = response.lines().get();
    events.onClose(lines::close);
    routes.metrics.served(answer.model, servedBy);
    Thread.ofVirtual()
        .name("strata-llm-relay")
        .start(
            () -> {
              boolean first = true;
              boolean done = false;
              try (lines) {
                Iterator<String> it = lines.iterator();
                while (it.hasNext() && !done) {
                  String line = it.next();
                  if (!line.startsWith("data:")) {
                    continue;
                  }
                  String data = line.substring(5).strip();
                  if (data.equals("[DONE]")) {
                    done = true;
                    events.send(data);
                    continue;
                  }
                  JsonNode n = Json.mapper().readTree(data);
                  if (n instanceof ObjectNode o && !o.has("error")) {
                    o.put("model", answer.model);
                    if (first) {
                      o.set("strata", marks);
                    }
                    first = false;
                    data = o.toString();
                  }
                  if (!events.send(data)) {
                    return; // the client went away: closing the lines ends the cloud's stream
                  }
                }
              } catch (IOException | RuntimeException e) {
                LOG.debug("the cloud's stream for model '{}' broke off: {}", answer.model, e);
              }
              if (!done && !events.isClosed()) {
                events.send(
                    OpenAiError.body(
                        "server_error", "the cloud's stream ended before its last event", null));
              }
              events.end();
            });
    return CompletableFuture.completedFuture(OpenAiRoutes.eventsMarked(events, marks));
  }

  private static String errorMessage(byte[] body) {
    try {
      JsonNode n = Json.mapper().readTree(body);
      JsonNode m = n.path("error").path("message");
      if (m.isTextual()) {
        return m.asText();
      }
    } catch (IOException | RuntimeException e) {
      // not JSON: say so below
    }
    String s = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8);
    return s.isBlank() ? "(no body)" : s;
  }

  private static String reason(Throwable error) {
    Throwable t = HttpErrors.unwrap(error);
    return t instanceof UpstreamException ? t.getMessage() : String.valueOf(t);
  }

  /** Why the upstream did not answer. */
  static final class UpstreamException extends RuntimeException {
    UpstreamException(String message) {
      super(message, null, false, false);
    }
  }
}
