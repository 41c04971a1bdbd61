package dev.strata.llm.embed;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.strata.control.Json;
import dev.strata.llm.openai.OpenAiRoutes;
import dev.strata.runtime.ModelManager;
import dev.strata.runtime.RuntimeConfig;
import dev.strata.serving.RequestAuthorizer;
import dev.strata.serving.ServingConfig;
import dev.strata.serving.StrataServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * all-MiniLM-L6-v2 (fp32 and quantized), the ONNX files and tokenizers inside LangChain4j's jars,
 * served on {@code /v1/embeddings}: the vectors equal those LangChain4j's own in-process model
 * computes (cosine ≥ 0.9999, non-ASCII text included), a short text gives the same vector alone and
 * beside a much longer one (padding is masked), concurrent requests get their own answers, and
 * mistakes get OpenAI's error shape.
 */
class EmbeddingsIT {
  @TempDir static Path dir;
  static ModelManager runtime;
  static StrataServer server;
  static final HttpClient http = HttpClient.newHttpClient();
  static final List<String> TEXTS =
      List.of(
          "The quick brown fox jumps over the lazy dog.",
          "Strata serves models at the edge and in the cloud.",
          "Größe, façade, naïve café — déjà vu.",
          "東京は日本の首都です。",
          "a");

  static void install(Path repo, String model, String onnx, String tokenizer) throws Exception {
    Path v = Files.createDirectories(repo.resolve(model).resolve("1"));
    try (InputStream in = EmbeddingsIT.class.getClassLoader().getResourceAsStream(onnx)) {
      assertThat(in).as(onnx).isNotNull();
      Files.copy(in, v.resolve("model.onnx"));
    }
    try (InputStream in = EmbeddingsIT.class.getClassLoader().getResourceAsStream(tokenizer)) {
      assertThat(in).as(tokenizer).isNotNull();
      Files.copy(in, v.resolve("tokenizer.json"));
    }
  }

  @BeforeAll
  static void start() throws Exception {
    Path repo = dir.resolve("repo");
    install(repo, "minilm", "all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json");
    install(repo, "minilm-q", "all-minilm-l6-v2-q.onnx", "all-minilm-l6-v2-q-tokenizer.json");
    install(repo, "minilm-cls", "all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json");
    Files.writeString(
        repo.resolve("minilm-cls/config.json"),
        "{\"parameters\": {\"pooling\": \"cls\", \"normalize\": \"false\"}}");
    install(repo, "minilm-bad", "all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json");
    Files.writeString(
        repo.resolve("minilm-bad/config.json"), "{\"parameters\": {\"pooling\": \"median\"}}");
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
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
  }

  static HttpResponse<String> post(String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.httpPort() + "/v1/embeddings"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static List<float[]> embed(String model, List<String> texts) throws Exception {
    String body =
        Json.mapper().writeValueAsString(java.util.Map.of("model", model, "input", texts));
    HttpResponse<String> r = post(body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode data = Json.mapper().readTree(r.body()).path("data");
    List<float[]> out = new ArrayList<>();
    for (JsonNode e : data) {
      float[] v = new float[e.path("embedding").size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) e.path("embedding").get(i).asDouble();
      }
      out.add(v);
    }
    return out;
  }

  static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }

  @Test
  void vectorsEqualLangChain4jsOwnModel() throws Exception {
    check("minilm", new AllMiniLmL6V2EmbeddingModel());
    check("minilm-q", new AllMiniLmL6V2QuantizedEmbeddingModel());
  }

  private static void check(String model, EmbeddingModel reference) throws Exception {
    List<float[]> ours = embed(model, TEXTS);
    assertThat(ours).hasSize(TEXTS.size());
    for (int i = 0; i < TEXTS.size(); i++) {
      float[] theirs = reference.embed(TEXTS.get(i)).content().vector();
      assertThat(ours.get(i)).hasSize(384).hasSameSizeAs(theirs);
      assertThat(cosine(ours.get(i), theirs))
          .as("%s: %s", model, TEXTS.get(i))
          .isGreaterThan(0.9999);
      double norm = Math.sqrt(dot(ours.get(i)));
      assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
    }
  }

  private static double dot(float[] a) {
    double s = 0;
    for (float x : a) {
      s += (double) x * x;
    }
    return s;
  }

  @Test
  void poolingAndNormalisationFollowTheModelsParameters() throws Exception {
    String text = "The quick brown fox jumps over the lazy dog.";
    float[] cls = embed("minilm-cls", List.of(text)).getFirst();
    // expected: the first token's hidden state, unnormalised, from the inference protocol itself
    long[] ids;
    try (var tok =
        ai.djl.huggingface.tokenizers.HuggingFaceTokenizer.newInstance(
            dir.resolve("repo/minilm-cls/1/tokenizer.json"))) {
      ids = tok.encode(text).getIds();
    }
    long[] ones = new long[ids.length];
    java.util.Arrays.fill(ones, 1);
    dev.strata.core.Shape shape = dev.strata.core.Shape.of(1, ids.length);
    var response =
        runtime
            .infer(
                new dev.strata.core.InferenceRequest(
                    "minilm-cls",
                    java.util.Optional.empty(),
                    "",
                    List.of(
                        dev.strata.core.Tensor.ofLongs("input_ids", shape, ids),
                        dev.strata.core.Tensor.ofLongs("attention_mask", shape, ones),
                        dev.strata.core.Tensor.ofLongs(
                            "token_type_ids", shape, new long[ids.length])),
                    List.of(),
                    java.util.Map.of(),
                    java.util.Optional.empty()))
            .join();
    float[] hidden =
        response.outputs().stream()
            .filter(t -> t.name().equals("last_hidden_state"))
            .findFirst()
            .orElseThrow()
            .floats();
    assertThat(cls).hasSize(384);
    for (int d = 0; d < 384; d++) {
      assertThat(cls[d]).isCloseTo(hidden[d], org.assertj.core.data.Offset.offset(1e-5f));
    }
    assertThat(Math.sqrt(dot(cls))).isGreaterThan(1.5);
    assertThat(cosine(cls, embed("minilm", List.of(text)).getFirst())).isLessThan(0.99);

    HttpResponse<String> bad = post("{\"model\":\"minilm-bad\",\"input\":\"x\"}");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("parameters pooling 'median' (expected: mean, cls or max)");
  }

  @Test
  void paddingIsMaskedAndConcurrentRequestsGetTheirOwnAnswers() throws Exception {
    float[] alone = embed("minilm", List.of("short")).getFirst();
    float[] beside = embed("minilm", List.of("short", "a much longer text ".repeat(20))).getFirst();
    assertThat(cosine(alone, beside)).isGreaterThan(0.99999);
    List<CompletableFuture<float[]>> all = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      String text = "request number " + i;
      all.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return embed("minilm", List.of(text)).getFirst();
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              }));
    }
    for (int i = 0; i < 8; i++) {
      float[] expected = embed("minilm", List.of("request number " + i)).getFirst();
      assertThat(cosine(all.get(i).join(), expected)).isGreaterThan(0.99999);
    }
  }

  @Test
  void theModelsAreListedAndMistakesAreOpenAiErrors() throws Exception {
    String models =
        http.send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.httpPort() + "/v1/models"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    assertThat(Json.mapper().readTree(models).path("data").findValuesAsText("id"))
        .contains("minilm", "minilm-q");
    expect(post("{\"model\":\"nope\",\"input\":\"x\"}"), 404, "not an embedding model");
    expect(post("{\"model\":\"minilm\",\"input\":[]}"), 400, "no text");
    expect(post("{\"model\":\"minilm\",\"input\":[\"\"]}"), 400, "empty text");
    expect(post("{\"model\":\"minilm\",\"input\":[[1,2,3]]}"), 400, "token arrays");
    expect(
        post("{\"model\":\"minilm\",\"input\":\"" + "word ".repeat(600) + "\"}"),
        400,
        "over the model's maximum of 512 tokens");
    expect(
        post("{\"model\":\"minilm\",\"input\":\"x\",\"encoding_format\":\"int8\"}"),
        400,
        "'encoding_format'");
  }

  private static void expect(HttpResponse<String> r, int status, String text) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(Json.mapper().readTree(r.body()).path("error").path("message").asText())
        .contains(text);
  }
}
