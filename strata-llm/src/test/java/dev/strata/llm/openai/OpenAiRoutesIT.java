package dev.strata.llm.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.control.Json;
import dev.strata.llm.gguf.GgmlType;
import dev.strata.llm.testing.TinyModels;
import dev.strata.runtime.ModelManager;
import dev.strata.runtime.RuntimeConfig;
import dev.strata.serving.RequestAuthorizer;
import dev.strata.serving.ServingConfig;
import dev.strata.serving.StrataServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAI-compatible API over a GGUF model in the repository (a random-weight llama Strata
 * wrote), through a real server: models, completions and chat, whole and streamed (the stream gives
 * the same text as the whole answer), usage, errors in OpenAI's shape with their statuses, a
 * disconnecting client that frees its sequence, the metrics, and the model in the OIP index.
 */
class OpenAiRoutesIT {
  @TempDir static Path dir;
  static ModelManager runtime;
  static StrataServer server;
  static PrometheusMeterRegistry registry;
  static final HttpClient http = HttpClient.newHttpClient();

  /** Printable ASCII only (see LlamaEngineTest): exact token counts, no end of sequence. */
  static final String ASCII_BIAS = asciiBias();

  private static String asciiBias() {
    List<String> parts = new ArrayList<>();
    for (int id = 0; id < 261; id++) {
      if (id < 0x20 || id >= 0x7f) {
        parts.add("\"" + id + "\": -100");
      }
    }
    return "{" + String.join(", ", parts) + "}";
  }

  @BeforeAll
  static void start() throws Exception {
    System.setProperty("strata.llm.parallel", "1");
    Path repo = dir.resolve("repo");
    Files.createDirectories(repo.resolve("tiny/1"));
    TinyModels.write(repo.resolve("tiny/1/model.gguf"), 3, GgmlType.F32);
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    runtime = ModelManager.create(RuntimeConfig.builder(repo).meterRegistry(registry).build());
    runtime.startup().join();
    server =
        StrataServer.builder(ServingConfig.ephemeral().withIoThreads(1), runtime, registry)
            .routes(OpenAiRoutes.create(runtime, registry, RequestAuthorizer.allowAll()))
            .start();
  }

  @AfterAll
  static void stop() {
    server.close();
    System.clearProperty("strata.llm.parallel");
  }

  static HttpResponse<String> post(String path, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.httpPort() + path);
  }

  static JsonNode json(String s) throws Exception {
    return Json.mapper().readTree(s);
  }

  /** The concatenated text of a stream's chunks, and its lines. */
  static List<JsonNode> events(String body) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    List<String> data =
        body.lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
    assertThat(data).last().isEqualTo("[DONE]");
    for (String d : data.subList(0, data.size() - 1)) {
      out.add(json(d));
    }
    return out;
  }

  @Test
  void theModelIsListedAndInTheInferenceProtocolsIndex() throws Exception {
    JsonNode models =
        json(
            http.send(
                    HttpRequest.newBuilder(uri("/v1/models")).build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
    assertThat(models.path("object").asText()).isEqualTo("list");
    assertThat(models.path("data").get(0).path("id").asText()).isEqualTo("tiny");
    assertThat(models.path("data").get(0).path("object").asText()).isEqualTo("model");
    JsonNode meta =
        json(
            http.send(
                    HttpRequest.newBuilder(uri("/v2/models/tiny")).build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
    assertThat(meta.path("platform").asText()).isEqualTo("llamacpp_gguf");
    assertThat(runtime.modelReady("tiny", Optional.of("1"))).isTrue();
    HttpResponse<String> infer =
        post(
            "/v2/models/tiny/infer",
            "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"hi\"]}]}");
    assertThat(infer.statusCode()).isEqualTo(400);
    assertThat(infer.body()).contains("/v1/chat/completions");
  }

  @Test
  void aCompletionStreamedGivesTheWholeAnswersText() throws Exception {
    String body =
        "{\"model\":\"tiny\",\"prompt\":\"Once upon\",\"max_tokens\":12,\"temperature\":0,"
            + "\"logit_bias\":"
            + ASCII_BIAS;
    HttpResponse<String> whole = post("/v1/completions", body + "}");
    assertThat(whole.statusCode()).as(whole.body()).isEqualTo(200);
    JsonNode w = json(whole.body());
    assertThat(w.path("object").asText()).isEqualTo("text_completion");
    String text = w.path("choices").get(0).path("text").asText();
    assertThat(text).hasSize(12);
    assertThat(w.path("choices").get(0).path("finish_reason").asText()).isEqualTo("length");
    assertThat(w.path("usage").path("completion_tokens").asInt()).isEqualTo(12);
    assertThat(w.path("usage").path("prompt_tokens").asInt()).isPositive();
    assertThat(w.path("usage").path("total_tokens").asInt())
        .isEqualTo(12 + w.path("usage").path("prompt_tokens").asInt());

    HttpResponse<String> streamed =
        post(
            "/v1/completions",
            body + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    assertThat(streamed.headers().firstValue("content-type")).hasValue("text/event-stream");
    List<JsonNode> chunks = events(streamed.body());
    StringBuilder joined = new StringBuilder();
    String finish = null;
    for (JsonNode c : chunks) {
      if (c.path("choices").size() > 0) {
        joined.append(c.path("choices").get(0).path("text").asText());
        if (!c.path("choices").get(0).path("finish_reason").isNull()) {
          finish = c.path("choices").get(0).path("finish_reason").asText();
        }
      }
    }
    assertThat(joined.toString()).isEqualTo(text);
    assertThat(finish).isEqualTo("length");
    assertThat(chunks.getLast().path("usage").path("completion_tokens").asInt()).isEqualTo(12);
  }

  @Test
  void aChatIsAnsweredWholeAndStreamed() throws Exception {
    String body =
        "{\"model\":\"tiny\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
            + "{\"role\":\"user\",\"content\":\"hello\"}],\"max_tokens\":6,\"seed\":1,"
            + "\"temperature\":0,\"logit_bias\":"
            + ASCII_BIAS;
    JsonNode w = json(post("/v1/chat/completions", body + "}").body());
    assertThat(w.path("object").asText()).isEqualTo("chat.completion");
    JsonNode message = w.path("choices").get(0).path("message");
    assertThat(message.path("role").asText()).isEqualTo("assistant");
    assertThat(message.path("content").asText()).hasSize(6);
    List<JsonNode> chunks = events(post("/v1/chat/completions", body + ",\"stream\":true}").body());
    assertThat(chunks.getFirst().path("object").asText()).isEqualTo("chat.completion.chunk");
    assertThat(chunks.getFirst().path("choices").get(0).path("delta").path("role").asText())
        .isEqualTo("assistant");
    StringBuilder joined = new StringBuilder();
    for (JsonNode c : chunks) {
      joined.append(c.path("choices").get(0).path("delta").path("content").asText(""));
    }
    assertThat(joined.toString()).isEqualTo(message.path("content").asText());
    assertThat(chunks.getLast().path("choices").get(0).path("finish_reason").asText())
        .isEqualTo("length");
  }

  @Test
  void mistakesGetOpenAisErrorShapeAndStatus() throws Exception {
    expect(post("/v1/completions", "{\"model\":\"nope\",\"prompt\":\"x\"}"), 404, "nope");
    expect(
        post("/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"x\",\"max_tokens\":100000}"),
        400,
        "maximum context length is 256 tokens");
    expect(
        post("/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"x\",\"temperature\":3}"),
        400,
        "'temperature'");
    expect(
        post("/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"x\",\"logprobs\":2}"),
        400,
        "log-probabilities");
    expect(post("/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"x\",\"n\":2}"), 400, "'n'");
    expect(post("/v1/completions", "{\"model\":\"tiny\""), 400, "not valid JSON");
    expect(post("/v1/completions", "{\"model\":\"tiny\"}"), 400, "'prompt' is required");
    expect(
        post("/v1/chat/completions", "{\"model\":\"tiny\",\"messages\":[{\"role\":\"robot\"}]}"),
        400,
        "'messages[0].role'");
    expect(
        post(
            "/v1/completions",
            "{\"model\":\"tiny\",\"prompt\":\"x\",\"logit_bias\":{\"99999\":1}}"),
        400,
        "not in the model's vocabulary");
  }

  private static double completionTokens() {
    var c = registry.find("strata_llm_completion_tokens").tag("model", "tiny").counter();
    return c == null ? 0 : c.count();
  }

  private static void expect(HttpResponse<String> r, int status, String text) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    JsonNode e = json(r.body()).path("error");
    assertThat(e.path("message").asText()).contains(text);
    assertThat(e.path("type").asText()).isNotEmpty();
  }

  @Test
  void aClientThatDisconnectsFreesItsSequenceAtOnce() throws Exception {
    String body =
        "{\"model\":\"tiny\",\"prompt\":\"go\",\"max_tokens\":240,\"stream\":true,"
            + "\"logit_bias\":"
            + ASCII_BIAS
            + "}";
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    double before = completionTokens();
    var engine =
        ((dev.strata.llm.LanguageModels) runtime.engines().getFirst()).get("tiny").engine();
    try (Socket s = new Socket("127.0.0.1", server.httpPort())) {
      s.getOutputStream()
          .write(
              ("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      + "Content-Length: "
                      + b.length
                      + "\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().write(b);
      BufferedReader in =
          new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      String line;
      while ((line = in.readLine()) != null && !line.startsWith("data: ")) {
        // the head
      }
      assertThat(line).startsWith("data: ");
    }
    // the generation stopped well before its 240 tokens, and the only sequence is free again
    await().atMost(Duration.ofSeconds(20)).until(() -> engine.load() == 0);
    assertThat(completionTokens() - before).isLessThan(240);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                post("/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"x\",\"max_tokens\":2}")
                        .statusCode()
                    == 200);
    String metrics =
        http.send(
                HttpRequest.newBuilder(uri("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    assertThat(metrics)
        .contains("strata_llm_time_to_first_token")
        .contains("strata_llm_completion_tokens")
        .contains("strata_llm_queue_depth")
        .contains("model=\"tiny\"");
  }
}
