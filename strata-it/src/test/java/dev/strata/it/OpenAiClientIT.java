package dev.strata.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.store.embedding.CosineSimilarity;
import dev.strata.llm.gguf.GgmlType;
import dev.strata.llm.testing.TinyModels;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * LangChain4j's OpenAI client (a client nobody here wrote) against {@code strata serve} with a GGUF
 * model in its repository and an API key required: a chat, a streamed chat whose pieces make the
 * whole answer, and the process still stopping promptly on SIGTERM after llama.cpp ran in it.
 */
@Timeout(180)
class OpenAiClientIT {
  static final String KEY = "sk-strata-test-4f1c2a";

  @RegisterExtension final Harness harness = new Harness();

  @Test
  void chatAndStreamingChatThroughLangChain4j() throws Exception {
    Path repo = harness.dir().resolve("repo");
    Files.createDirectories(repo.resolve("tiny/1"));
    TinyModels.write(repo.resolve("tiny/1/model.gguf"), 11, GgmlType.Q8_0);
    Path minilm = Files.createDirectories(repo.resolve("minilm/1"));
    for (String[] f :
        new String[][] {
          {"all-minilm-l6-v2.onnx", "model.onnx"},
          {"all-minilm-l6-v2-tokenizer.json", "tokenizer.json"}
        }) {
      try (var in = getClass().getClassLoader().getResourceAsStream(f[0])) {
        assertThat(in).as(f[0]).isNotNull();
        Files.copy(in, minilm.resolve(f[1]));
      }
    }
    int port = harness.freePort();
    Path keys = harness.dir().resolve("api-keys");
    Files.writeString(keys, "# OpenAI API keys of this server\n" + KEY + "\n");
    StrataProcess serve = harness.serve(repo, port, "--api-keys-file", keys.toString());
    URI base = URI.create("http://127.0.0.1:" + port);
    await("serve ready")
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              serve.requireAlive();
              return Http.ok(harness.http(), base.resolve("/v2/health/ready"));
            });
    String v1 = base.resolve("/v1").toString();
    // without the key, or with another, OpenAI's 401; the inference protocol is not affected
    for (String auth : new String[] {null, "Bearer sk-wrong"}) {
      var req = java.net.http.HttpRequest.newBuilder(base.resolve("/v1/models"));
      if (auth != null) {
        req.header("Authorization", auth);
      }
      var r = harness.http().send(req.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(String.valueOf(auth)).isEqualTo(401);
      assertThat(r.body()).contains("\"code\":\"invalid_api_key\"");
    }

    OpenAiChatModel chat =
        OpenAiChatModel.builder()
            .baseUrl(v1)
            .apiKey(KEY)
            .modelName("tiny")
            .temperature(0.0)
            .maxTokens(8)
            .timeout(Duration.ofSeconds(60))
            .build();
    ChatResponse answer =
        chat.chat(List.of(SystemMessage.from("be brief"), UserMessage.from("hello")));
    assertThat(answer.aiMessage().text()).isNotNull();
    assertThat(answer.tokenUsage().outputTokenCount()).isPositive().isLessThanOrEqualTo(8);
    assertThat(answer.tokenUsage().inputTokenCount()).isPositive();
    assertThat(answer.modelName()).isEqualTo("tiny");

    OpenAiStreamingChatModel streaming =
        OpenAiStreamingChatModel.builder()
            .baseUrl(v1)
            .apiKey(KEY)
            .modelName("tiny")
            .temperature(0.0)
            .maxTokens(8)
            .timeout(Duration.ofSeconds(60))
            .build();
    List<String> pieces = new CopyOnWriteArrayList<>();
    CompletableFuture<ChatResponse> done = new CompletableFuture<>();
    streaming.chat(
        List.of(SystemMessage.from("be brief"), UserMessage.from("hello")),
        new StreamingChatResponseHandler() {
          @Override
          public void onPartialResponse(String partial) {
            pieces.add(partial);
          }

          @Override
          public void onCompleteResponse(ChatResponse response) {
            done.complete(response);
          }

          @Override
          public void onError(Throwable error) {
            done.completeExceptionally(error);
          }
        });
    ChatResponse streamed = done.get(60, TimeUnit.SECONDS);
    assertThat(pieces).isNotEmpty();
    assertThat(String.join("", pieces)).isEqualTo(streamed.aiMessage().text());
    // greedy: the stream says what the whole answer said
    assertThat(streamed.aiMessage().text()).isEqualTo(answer.aiMessage().text());

    OpenAiEmbeddingModel embeddings =
        OpenAiEmbeddingModel.builder()
            .baseUrl(v1)
            .apiKey(KEY)
            .modelName("minilm")
            .timeout(Duration.ofSeconds(60))
            .build();
    List<Embedding> vectors =
        embeddings
            .embedAll(
                List.of(
                    TextSegment.from("a cat sits on the mat"),
                    TextSegment.from("a kitten rests on a rug"),
                    TextSegment.from("quarterly revenue grew by four percent")))
            .content();
    assertThat(vectors).hasSize(3);
    assertThat(vectors.getFirst().dimension()).isEqualTo(384);
    double near = CosineSimilarity.between(vectors.get(0), vectors.get(1));
    double far = CosineSimilarity.between(vectors.get(0), vectors.get(2));
    assertThat(near).isGreaterThan(far + 0.2);

    long t0 = System.nanoTime();
    serve.stop();
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
  }
}
