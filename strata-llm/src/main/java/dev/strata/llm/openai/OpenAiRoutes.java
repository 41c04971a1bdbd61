package dev.strata.llm.openai;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import de.kherud.llama.Pair;
import dev.strata.control.Json;
import dev.strata.core.StrataException;
import dev.strata.llm.LanguageModels;
import dev.strata.llm.embed.TextEmbeddings;
import dev.strata.llm.generate.Generation;
import dev.strata.llm.generate.GenerationListener;
import dev.strata.llm.generate.GenerationListener.FinishReason;
import dev.strata.llm.generate.GenerationRequest;
import dev.strata.llm.generate.LlamaEngine;
import dev.strata.llm.generate.SampledAgreement;
import dev.strata.runtime.ModelManager;
import dev.strata.runtime.backend.ModelEngine;
import dev.strata.serving.AuthRequest;
import dev.strata.serving.EventStream;
import dev.strata.serving.HttpCall;
import dev.strata.serving.HttpHandler;
import dev.strata.serving.HttpResult;
import dev.strata.serving.HttpRoutes;
import dev.strata.serving.RequestAuthorizer;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenAI-compatible API ({@code /v1}) over the runtime's language models: {@code GET
 * /v1/models}, {@code POST /v1/completions} and {@code POST /v1/chat/completions} (whole, or
 * streamed as server-sent events ending {@code data: [DONE]}), with {@code max_tokens}, {@code
 * temperature}, {@code top_p}, {@code seed}, {@code stop}, {@code logit_bias} and {@code usage};
 * and {@code POST /v1/embeddings} over the runtime's ONNX encoders ({@link TextEmbeddings}). Errors
 * come in OpenAI's shape ({@link OpenAiError}). A client that disconnects from a stream stops its
 * generation at the next token.
 *
 * <p>{@code logprobs} is refused (400): llama.cpp's Java binding aborts the process when asked for
 * token probabilities. {@code n} other than 1 is refused.
 */
public final class OpenAiRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(OpenAiRoutes.class);

  /** What {@code max_tokens} is when a request does not say (OpenAI's completions default). */
  static final int DEFAULT_MAX_TOKENS = 16;

  private final ModelManager runtime;
  final GenerationMetrics metrics;
  private final Set<String> warned = ConcurrentHashMap.newKeySet();
  private final TextEmbeddings embeddings;
  final Upstream upstream;

  private OpenAiRoutes(ModelManager runtime, MeterRegistry registry, Upstream upstream) {
    this.runtime = runtime;
    this.upstream = upstream;
    this.metrics = new GenerationMetrics(registry);
    this.embeddings = new TextEmbeddings(runtime.repository(), runtime);
  }

  /**
   * The routes over {@code runtime}'s language models.
   *
   * @param authorizer checks every call's credential ({@code Authorization: Bearer <key>}); {@link
   *     RequestAuthorizer#allowAll()} for none
   */
  public static HttpRoutes create(
      ModelManager runtime, MeterRegistry registry, RequestAuthorizer authorizer) {
    return create(runtime, registry, authorizer, Upstream.NONE);
  }

  /**
   * The routes over {@code runtime}'s language models, sharing generation with {@code upstream} as
   * each model's policy says (an edge with its cloud).
   */
  public static HttpRoutes create(
      ModelManager runtime,
      MeterRegistry registry,
      RequestAuthorizer authorizer,
      Upstream upstream) {
    requireNonNull(runtime, "runtime");
    OpenAiRoutes r =
        new OpenAiRoutes(
            runtime, requireNonNull(registry, "registry"), requireNonNull(upstream, "upstream"));
    requireNonNull(authorizer, "authorizer");
    return HttpRoutes.create()
        .get("/v1/models", guarded(authorizer, call -> r.models()))
        .get(
            "/v1/models/{model}",
            guarded(authorizer, call -> r.model(call.pathParams().get("model"))))
        .post("/v1/completions", guarded(authorizer, r::completions))
        .post("/v1/chat/completions", guarded(authorizer, r::chat))
        .post("/v1/embeddings", guarded(authorizer, r::embed));
  }

  /**
   * The call's credential checked first, then the handler; every failure (a refused key included)
   * in OpenAI's shape, thrown or in the stage.
   */
  private static HttpHandler guarded(RequestAuthorizer authorizer, HttpHandler h) {
    return call -> {
      CompletionStage<HttpResult> stage;
      try {
        stage =
            authorizer == RequestAuthorizer.allowAll()
                ? h.handle(call)
                : authorizer
                    .authorize(
                        new AuthRequest(
                            AuthRequest.HTTP, call.method(), call.path(), call.headers()))
                    .thenCompose(
                        ok -> {
                          try {
                            return h.handle(call);
                          } catch (Exception e) {
                            return CompletableFuture.failedFuture(e);
                          }
                        });
      } catch (Exception e) {
        return CompletableFuture.completedFuture(OpenAiError.of(e));
      }
      return stage.exceptionally(OpenAiError::of);
    };
  }

  private Optional<LanguageModels> languageModels() {
    for (ModelEngine e : runtime.engines()) {
      if (e instanceof LanguageModels l) {
        return Optional.of(l);
      }
    }
    return Optional.empty();
  }

  private LanguageModels.Loaded loaded(String model) {
    return languageModels()
        .orElseThrow(
            () ->
                StrataException.notFound(
                    "model '%s' is not a language model served here (no llama.cpp engine)", model))
        .get(model);
  }

  // ---- models -----------------------------------------------------------------------------------

  private CompletionStage<HttpResult> models() {
    ObjectNode root = Json.mapper().createObjectNode();
    root.put("object", "list");
    ArrayNode data = root.putArray("data");
    languageModels().ifPresent(l -> l.all().values().forEach(m -> data.add(modelObject(m))));
    for (var e : runtime.repositoryIndex(true)) {
      if (!e.name().isEmpty()
          && data.findValuesAsText("id").stream().noneMatch(id -> id.equals(e.name()))) {
        embeddings
            .embeddingVersion(e.name())
            .ifPresent(v -> data.add(embeddingModelObject(e.name(), v)));
      }
    }
    return json(200, root);
  }

  private static ObjectNode embeddingModelObject(String name, String version) {
    ObjectNode o = Json.mapper().createObjectNode();
    o.put("id", name);
    o.put("object", "model");
    o.put("created", 0);
    o.put("owned_by", "strata");
    o.put("version", version);
    return o;
  }

  // ---- embeddings -------------------------------------------------------------------------------

  private CompletionStage<HttpResult> embed(HttpCall call) {
    Params p = Params.parse(call.body());
    String model = p.requiredString("model");
    JsonNode input = p.node("input");
    List<String> texts = new ArrayList<>();
    if (input == null) {
      throw StrataException.invalid("'input' is required");
    } else if (input.isTextual()) {
      texts.add(input.asText());
    } else if (input.isArray()) {
      for (int i = 0; i < input.size(); i++) {
        if (!input.get(i).isTextual()) {
          throw StrataException.invalid(
              "'input[%d]': %s (expected: a string; token arrays are not taken)",
              i, shorten(input.get(i)));
        }
        texts.add(input.get(i).asText());
      }
    } else {
      throw StrataException.invalid(
          "'input': %s (expected: a string or an array of strings)", shorten(input));
    }
    JsonNode format = p.node("encoding_format");
    boolean base64 = false;
    if (format != null) {
      if (!format.isTextual() || !Set.of("float", "base64").contains(format.asText())) {
        throw StrataException.invalid(
            "'encoding_format': %s (expected: float or base64)", shorten(format));
      }
      base64 = format.asText().equals("base64");
    }
    p.refuse("dimensions", "this model's vectors have a fixed size; 'dimensions' is not taken");
    boolean asBase64 = base64;
    return embeddings
        .embed(model, texts)
        .thenApply(
            r -> {
              ObjectNode o = Json.mapper().createObjectNode();
              o.put("object", "list");
              ArrayNode data = o.putArray("data");
              for (int i = 0; i < r.vectors().size(); i++) {
                ObjectNode e = data.addObject();
                e.put("object", "embedding");
                e.put("index", i);
                float[] v = r.vectors().get(i);
                if (asBase64) {
                  java.nio.ByteBuffer b =
                      java.nio.ByteBuffer.allocate(v.length * 4)
                          .order(java.nio.ByteOrder.LITTLE_ENDIAN);
                  for (float f : v) {
                    b.putFloat(f);
                  }
                  e.put("embedding", java.util.Base64.getEncoder().encodeToString(b.array()));
                } else {
                  ArrayNode a = e.putArray("embedding");
                  for (float f : v) {
                    a.add(f);
                  }
                }
              }
              o.put("model", model);
              ObjectNode u = o.putObject("usage");
              u.put("prompt_tokens", r.promptTokens());
              u.put("total_tokens", r.promptTokens());
              return HttpResult.json(200, o.toString().getBytes(StandardCharsets.UTF_8));
            });
  }

  private CompletionStage<HttpResult> model(String name) {
    return json(200, modelObject(loaded(name)));
  }

  private static ObjectNode modelObject(LanguageModels.Loaded m) {
    ObjectNode o = Json.mapper().createObjectNode();
    o.put("id", m.model());
    o.put("object", "model");
    o.put("created", 0);
    o.put("owned_by", "strata");
    o.put("version", Long.toString(m.version()));
    o.put("context_length", m.engine().contextLength());
    return o;
  }

  // ---- completions ------------------------------------------------------------------------------

  private CompletionStage<HttpResult> completions(HttpCall call) {
    Params p = Params.parse(call.body());
    String model = p.requiredString("model");
    JsonNode promptNode = p.node("prompt");
    String prompt;
    if (promptNode == null) {
      throw StrataException.invalid("'prompt' is required");
    } else if (promptNode.isTextual()) {
      prompt = promptNode.asText();
    } else if (promptNode.isArray() && promptNode.size() == 1 && promptNode.get(0).isTextual()) {
      prompt = promptNode.get(0).asText();
    } else {
      throw StrataException.invalid(
          "'prompt': %s (expected: a string, or an array of one string)", shorten(promptNode));
    }
    return generate(call, p, model, prompt, false);
  }

  // ---- chat -------------------------------------------------------------------------------------

  private CompletionStage<HttpResult> chat(HttpCall call) {
    Params p = Params.parse(call.body());
    String model = p.requiredString("model");
    JsonNode messages = p.node("messages");
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      throw StrataException.invalid("'messages': expected a non-empty array of messages");
    }
    List<Pair<String, String>> pairs = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++) {
      JsonNode m = messages.get(i);
      if (!m.isObject() || !m.path("role").isTextual()) {
        throw StrataException.invalid("'messages[%d]': expected an object with a 'role'", i);
      }
      String role = m.get("role").asText();
      if (role.equals("developer")) {
        role = "system";
      }
      if (!Set.of("system", "user", "assistant").contains(role)) {
        throw StrataException.invalid(
            "'messages[%d].role': '%s' (expected: system, developer, user or assistant)",
            i, m.get("role").asText());
      }
      pairs.add(new Pair<>(role, content(m.get("content"), i)));
    }
    LanguageModels.Loaded m = loaded(model);
    String prompt = m.engine().chatPrompt(pairs);
    return generate(call, p, model, prompt, true);
  }

  private static String content(JsonNode c, int i) {
    if (c == null || c.isNull()) {
      return "";
    }
    if (c.isTextual()) {
      return c.asText();
    }
    if (c.isArray()) {
      StringBuilder sb = new StringBuilder();
      for (JsonNode part : c) {
        if (!part.path("type").asText().equals("text") || !part.path("text").isTextual()) {
          throw StrataException.invalid(
              "'messages[%d].content': parts of type text only (got %s)", i, shorten(part));
        }
        sb.append(part.get("text").asText());
      }
      return sb.toString();
    }
    throw StrataException.invalid(
        "'messages[%d].content': %s (expected: a string or text parts)", i, shorten(c));
  }

  // ---- generation -------------------------------------------------------------------------------

  private CompletionStage<HttpResult> generate(
      HttpCall call, Params p, String model, String prompt, boolean chat) {
    p.refuse(
        "logprobs",
        "token log-probabilities are not offered by the llama.cpp backend (its Java binding"
            + " aborts when asked for them)");
    p.refuse("top_logprobs", "token log-probabilities are not offered by the llama.cpp backend");
    if (p.integer("n", 1, 128).orElse(1) != 1) {
      throw StrataException.invalid("'n': only 1 choice per request is generated here");
    }
    Optional<Integer> maxTokens =
        p.integer(chat ? "max_completion_tokens" : "max_tokens", 1, 1 << 20)
            .or(() -> p.integer("max_tokens", 1, 1 << 20));
    double temperature = p.number("temperature", 0, 2, 1);
    double topP = p.number("top_p", 0, 1, 1);
    List<String> stop = p.stop();
    boolean stream = p.bool("stream");
    boolean includeUsage =
        stream
            && p.node("stream_options") != null
            && p.node("stream_options").path("include_usage").asBoolean(false);
    var seed = p.seed();
    var bias = p.logitBias();
    LanguageModels.Loaded m = loaded(model);
    LlamaEngine engine = m.engine();
    int promptTokens = engine.tokenize(prompt).length;
    int context = engine.contextLength();
    int max = maxTokens.orElse(chat ? Math.max(1, context - promptTokens) : DEFAULT_MAX_TOKENS);
    if (promptTokens + max > context) {
      throw StrataException.invalid(
          "This model's maximum context length is %d tokens, however you requested %d tokens"
              + " (%d in the prompt, %d for the completion)",
          context, promptTokens + max, promptTokens, max);
    }
    int bad = bias.keySet().stream().filter(id -> id >= vocabulary(m)).findFirst().orElse(-1);
    if (bad >= 0) {
      throw StrataException.invalid(
          "'logit_bias': token id %d is not in the model's vocabulary", bad);
    }
    GenerationRequest request =
        new GenerationRequest(prompt, max, temperature, topP, seed, stop, bias);
    boolean edgeOnly = edgeOnlyAsked(p);
    Answer answer = new Answer(model, m, request, chat, stream, includeUsage);
    Optional<Upstream.Route> route = upstream.route(model);
    if (route.isEmpty() || edgeOnly) {
      if (route.isPresent()) {
        answer.marks = marks(SERVED_EDGE);
      }
      return answer.local();
    }
    return new RoutedGeneration(this, answer, route.get(), chat, p.body()).start();
  }

  /**
   * A request's {@code "strata": {"policy": "edge-only"}}: answer here whatever the model's policy
   * (to measure the edge model alone, or to keep one request off the upstream). Only that value is
   * taken: a client cannot send work upstream that the policy would not.
   */
  private static boolean edgeOnlyAsked(Params p) {
    JsonNode s = p.node("strata");
    if (s == null || s.isNull()) {
      return false;
    }
    JsonNode policy = s.path("policy");
    if (!s.isObject() || !policy.isTextual() || !policy.asText().equals("edge-only")) {
      throw StrataException.invalid(
          "'strata': %s (expected: {\"policy\": \"edge-only\"}, or no 'strata')", shorten(s));
    }
    return true;
  }

  /** Logs a deployment's misconfiguration once. */
  void warnOnce(String key, String format, Object... args) {
    if (warned.add(key)) {
      LOG.warn(format, args);
    }
  }

  /** The {@code strata} object of an answer: who served it. */
  static ObjectNode marks(String servedBy) {
    ObjectNode o = Json.mapper().createObjectNode();
    o.put("served_by", servedBy);
    return o;
  }

  /** One generation request, answered here ({@link #local()}) or by whoever its route says. */
  final class Answer {
    final String model;
    final LanguageModels.Loaded loaded;
    final GenerationRequest request;
    final boolean chat;
    final boolean stream;
    final boolean includeUsage;
    final long start = System.nanoTime();

    /** Who served the answer (set before the answer's first byte), or null: no marks. */
    ObjectNode marks;

    Answer(
        String model,
        LanguageModels.Loaded loaded,
        GenerationRequest request,
        boolean chat,
        boolean stream,
        boolean includeUsage) {
      this.model = model;
      this.loaded = loaded;
      this.request = request;
      this.chat = chat;
      this.stream = stream;
      this.includeUsage = includeUsage;
    }

    /** A reply under this request's id, metered as this model's. */
    Reply reply() {
      String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
      LlamaEngine engine = loaded.engine();
      GenerationMetrics.Meters meters = metrics.of(model, loaded.version(), engine::queued);
      Reply reply =
          new Reply(id, Instant.now().getEpochSecond(), model, chat, includeUsage, meters, start);
      reply.marks = marks;
      if (marks != null) {
        metrics.served(model, marks.path("served_by").asText());
      }
      return reply;
    }

    /** Generated here, streamed as it is decoded. */
    CompletionStage<HttpResult> local() {
      Reply reply = reply();
      LlamaEngine engine = loaded.engine();
      if (stream) {
        EventStream events = EventStream.create();
        reply.events = events;
        Generation g = engine.generate(request, reply);
        events.onClose(g::cancel);
        return CompletableFuture.completedFuture(reply.eventsResult());
      }
      engine.generate(request, reply);
      return reply.whole;
    }

    /** An answer generated here already (the cascade's), replayed to the client. */
    HttpResult replay(SampledAgreement.Scored scored) {
      Reply reply = reply();
      if (stream) {
        reply.events = EventStream.create();
      }
      for (String piece : scored.pieces()) {
        reply.token(piece);
      }
      reply.completed(scored.reason(), scored.promptTokens(), scored.completionTokens());
      return stream ? reply.eventsResult() : reply.whole.join();
    }
  }

  private static int vocabulary(LanguageModels.Loaded m) {
    Object tokens = m.metadata().values().get("tokenizer.ggml.tokens");
    return tokens instanceof dev.strata.llm.gguf.GgufMetadata.ArrayValue a
        ? (int) a.length()
        : Integer.MAX_VALUE;
  }

  /** Collects or streams one generation's answer. */
  private static final class Reply implements GenerationListener {
    private final String id;
    private final long created;
    private final String model;
    private final boolean chat;
    private final boolean includeUsage;
    private final GenerationMetrics.Meters meters;
    private final long start;
    private long last;

    /** The answer's {@code strata} object, or null. */
    ObjectNode marks;

    private final StringBuilder text = new StringBuilder();
    final CompletableFuture<HttpResult> whole = new CompletableFuture<>();
    EventStream events;
    private boolean roleSent;
    private boolean firstSent;

    Reply(
        String id,
        long created,
        String model,
        boolean chat,
        boolean includeUsage,
        GenerationMetrics.Meters meters,
        long start) {
      this.start = start;
      this.id = id;
      this.created = created;
      this.model = model;
      this.chat = chat;
      this.includeUsage = includeUsage;
      this.meters = meters;
    }

    @Override
    public boolean token(String piece) {
      long now = System.nanoTime();
      if (last == 0) {
        meters.timeToFirstToken().record(now - start, TimeUnit.NANOSECONDS);
      } else {
        meters.interTokenLatency().record(now - last, TimeUnit.NANOSECONDS);
      }
      last = now;
      if (events == null) {
        text.append(piece);
        return !whole.isDone();
      }
      return events.send(chunk(piece, null).toString());
    }

    @Override
    public void completed(FinishReason reason, int promptTokens, int completionTokens) {
      meters.promptTokens().increment(promptTokens);
      meters.completionTokens().increment(completionTokens);
      double seconds = (System.nanoTime() - start) / 1e9;
      if (completionTokens > 0 && seconds > 0) {
        meters.tokensPerSecond().record(completionTokens / seconds);
      }
      String finish = reason == FinishReason.LENGTH ? "length" : "stop";
      if (events != null) {
        if (reason == FinishReason.CANCELLED && events.isClosed()) {
          return;
        }
        events.send(chunk(null, finish).toString());
        if (includeUsage) {
          ObjectNode u = base(chat ? "chat.completion.chunk" : "text_completion");
          u.putArray("choices");
          u.set("usage", usage(promptTokens, completionTokens));
          events.send(u.toString());
        }
        events.send("[DONE]");
        events.end();
        return;
      }
      ObjectNode o = base(chat ? "chat.completion" : "text_completion");
      ObjectNode choice = o.putArray("choices").addObject();
      choice.put("index", 0);
      if (chat) {
        ObjectNode msg = choice.putObject("message");
        msg.put("role", "assistant");
        msg.put("content", text.toString());
      } else {
        choice.put("text", text.toString());
        choice.putNull("logprobs");
      }
      choice.put("finish_reason", finish);
      o.set("usage", usage(promptTokens, completionTokens));
      if (marks != null) {
        o.set("strata", marks);
      }
      whole.complete(jsonMarked(200, o, marks));
    }

    /** The streamed response over {@link #events}. */
    HttpResult eventsResult() {
      return eventsMarked(events, marks);
    }

    @Override
    public void failed(Throwable cause) {
      if (events != null) {
        events.send(OpenAiError.body("server_error", "generation failed: " + cause, null));
        events.end();
      } else {
        whole.completeExceptionally(cause);
      }
    }

    private ObjectNode base(String object) {
      ObjectNode o = Json.mapper().createObjectNode();
      o.put("id", id);
      o.put("object", object);
      o.put("created", created);
      o.put("model", model);
      return o;
    }

    private ObjectNode chunk(String piece, String finish) {
      ObjectNode o = base(chat ? "chat.completion.chunk" : "text_completion");
      if (marks != null && !firstSent) {
        o.set("strata", marks);
      }
      firstSent = true;
      ObjectNode choice = o.putArray("choices").addObject();
      choice.put("index", 0);
      if (chat) {
        ObjectNode delta = choice.putObject("delta");
        if (!roleSent) {
          delta.put("role", "assistant");
          roleSent = true;
        }
        if (piece != null) {
          delta.put("content", piece);
        }
      } else {
        choice.put("text", piece == null ? "" : piece);
        choice.putNull("logprobs");
      }
      if (finish == null) {
        choice.putNull("finish_reason");
      } else {
        choice.put("finish_reason", finish);
      }
      return o;
    }

    private static ObjectNode usage(int prompt, int completion) {
      ObjectNode u = Json.mapper().createObjectNode();
      u.put("prompt_tokens", prompt);
      u.put("completion_tokens", completion);
      u.put("total_tokens", prompt + completion);
      return u;
    }
  }

  /** Header of a marked answer: who served it. */
  static final String SERVED_BY_HEADER = "X-Strata-Served-By";

  static final String SERVED_EDGE = "edge";
  static final String SERVED_CLOUD = "cloud";
  static final String SERVED_EDGE_FALLBACK = "edge-fallback";

  static HttpResult jsonMarked(int status, JsonNode body, ObjectNode marks) {
    byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
    if (marks == null) {
      return HttpResult.json(status, bytes);
    }
    return new HttpResult(
        status,
        HttpResult.JSON,
        Map.of(SERVED_BY_HEADER, marks.path("served_by").asText()),
        List.of(ByteBuffer.wrap(bytes)));
  }

  static HttpResult eventsMarked(EventStream events, ObjectNode marks) {
    HttpResult plain = HttpResult.events(200, events);
    if (marks == null) {
      return plain;
    }
    Map<String, String> headers = new HashMap<>(plain.headers());
    headers.put(SERVED_BY_HEADER, marks.path("served_by").asText());
    return new HttpResult(
        200, plain.contentType(), headers, List.of(), Optional.empty(), Optional.of(events));
  }

  private static CompletionStage<HttpResult> json(int status, JsonNode body) {
    return CompletableFuture.completedFuture(
        HttpResult.json(status, body.toString().getBytes(StandardCharsets.UTF_8)));
  }

  private static String shorten(JsonNode n) {
    String s = n.toString();
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }
}
