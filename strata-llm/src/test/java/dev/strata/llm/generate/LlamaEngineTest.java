package dev.strata.llm.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import de.kherud.llama.Pair;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.llm.gguf.GgmlType;
import dev.strata.llm.testing.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GGUF model Strata wrote (random weights, llama architecture, byte-level BPE) generating in
 * llama.cpp: greedy output is reproducible and the same whether sequences run alone or batched
 * together, {@code maxTokens} and stop strings end it with the right reason, a cancelled generation
 * frees its sequence at once, and a full queue is refused.
 */
class LlamaEngineTest {
  @TempDir static Path dir;
  static LlamaEngine engine;

  @BeforeAll
  static void open() {
    Path f = TinyModels.write(dir.resolve("tiny.gguf"), 1, GgmlType.F32);
    engine = LlamaEngine.open(f, new LlamaEngine.Options(2, 128, 1, 1));
  }

  @AfterAll
  static void close() {
    engine.close();
  }

  /** Runs a generation to its end: its text and how it ended. */
  record Result(String text, GenerationListener.FinishReason reason, int prompt, int completion) {}

  static CompletableFuture<Result> run(LlamaEngine e, GenerationRequest r) {
    CompletableFuture<Result> f = new CompletableFuture<>();
    StringBuilder text = new StringBuilder();
    e.generate(
        r,
        new GenerationListener() {
          @Override
          public boolean token(String t) {
            text.append(t);
            return true;
          }

          @Override
          public void completed(FinishReason reason, int p, int c) {
            f.complete(new Result(text.toString(), reason, p, c));
          }

          @Override
          public void failed(Throwable cause) {
            f.completeExceptionally(cause);
          }
        });
    return f;
  }

  /**
   * Greedy, and printable ASCII only: the random model's bytes 0x80-0xFF (which would split
   * characters across tokens) and its special tokens (end of sequence) are banned by logit bias, so
   * every token is one piece of text and the model never stops by itself.
   */
  static GenerationRequest greedy(String prompt, int max) {
    return greedy(prompt, max, List.of());
  }

  static GenerationRequest greedy(String prompt, int max, List<String> stop) {
    return new GenerationRequest(prompt, max, 0, 1, OptionalLong.of(7), stop, ASCII);
  }

  static final java.util.Map<Integer, Double> ASCII = ascii();

  private static java.util.Map<Integer, Double> ascii() {
    java.util.Map<Integer, Double> bias = new java.util.HashMap<>();
    for (int id = 0; id < 256 + 3 + 2; id++) {
      if (id < 0x20 || id >= 0x7f) {
        bias.put(id, -100.0);
      }
    }
    return bias;
  }

  @Test
  void greedyGenerationIsReproducibleAndEndsAtMaxTokens() throws Exception {
    Result a = run(engine, greedy("hello there", 12)).get(60, TimeUnit.SECONDS);
    Result b = run(engine, greedy("hello there", 12)).get(60, TimeUnit.SECONDS);
    assertThat(a.text()).isNotEmpty().isEqualTo(b.text());
    assertThat(a.reason()).isEqualTo(GenerationListener.FinishReason.LENGTH);
    assertThat(a.completion()).isEqualTo(12);
    assertThat(a.prompt()).isEqualTo(engine.tokenize("hello there").length).isPositive();
  }

  @Test
  void sequencesBatchedTogetherGiveWhatTheyGiveAlone() throws Exception {
    List<String> prompts = List.of("one", "two two", "three three three", "four");
    List<String> alone = new ArrayList<>();
    for (String p : prompts) {
      alone.add(run(engine, greedy(p, 10)).get(60, TimeUnit.SECONDS).text());
    }
    List<CompletableFuture<Result>> together = new ArrayList<>();
    LlamaEngine wide = LlamaEngine.open(engine.file(), new LlamaEngine.Options(4, 128, 1, 4));
    try {
      for (String p : prompts) {
        together.add(run(wide, greedy(p, 10)));
      }
      for (int i = 0; i < prompts.size(); i++) {
        assertThat(together.get(i).get(60, TimeUnit.SECONDS).text())
            .as(prompts.get(i))
            .isEqualTo(alone.get(i));
      }
    } finally {
      wide.close();
    }
  }

  @Test
  void aStopStringEndsTheTextBeforeIt() throws Exception {
    String full = run(engine, greedy("stop here", 16)).get(60, TimeUnit.SECONDS).text();
    assertThat(full).hasSize(16);
    String stop = full.substring(3, 5);
    String before = full.substring(0, full.indexOf(stop));
    Result r = run(engine, greedy("stop here", 16, List.of(stop))).get(60, TimeUnit.SECONDS);
    assertThat(r.reason()).isEqualTo(GenerationListener.FinishReason.STOP);
    assertThat(r.text()).isEqualTo(before);
  }

  @Test
  void aCancelledGenerationFreesItsSequenceAtOnce() throws Exception {
    LlamaEngine one = LlamaEngine.open(engine.file(), new LlamaEngine.Options(1, 256, 1, 1));
    try {
      CountDownLatch firstToken = new CountDownLatch(1);
      List<String> tokens = new CopyOnWriteArrayList<>();
      CompletableFuture<GenerationListener.FinishReason> ended = new CompletableFuture<>();
      Generation g =
          one.generate(
              greedy("a long one", 200),
              new GenerationListener() {
                @Override
                public boolean token(String t) {
                  tokens.add(t);
                  firstToken.countDown();
                  return true;
                }

                @Override
                public void completed(FinishReason reason, int p, int c) {
                  ended.complete(reason);
                }

                @Override
                public void failed(Throwable cause) {
                  ended.completeExceptionally(cause);
                }
              });
      assertThat(firstToken.await(60, TimeUnit.SECONDS)).isTrue();
      g.cancel();
      assertThat(ended.get(30, TimeUnit.SECONDS))
          .isEqualTo(GenerationListener.FinishReason.CANCELLED);
      int atCancel = tokens.size();
      assertThat(atCancel).isLessThan(200);
      // the only sequence is free: the next generation runs to its end
      Result next = run(one, greedy("next", 5)).get(60, TimeUnit.SECONDS);
      assertThat(next.completion()).isEqualTo(5);
    } finally {
      one.close();
    }
  }

  @Test
  void aFullQueueIsRefused() throws Exception {
    LlamaEngine one = LlamaEngine.open(engine.file(), new LlamaEngine.Options(1, 256, 1, 1));
    try {
      CompletableFuture<Result> running = run(one, greedy("first", 200));
      CompletableFuture<Result> waiting = run(one, greedy("second", 5));
      assertThatThrownBy(() -> run(one, greedy("third", 5)))
          .isInstanceOfSatisfying(
              StrataException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED))
          .hasMessageContaining("busy");
      assertThat(running.get(120, TimeUnit.SECONDS).completion()).isEqualTo(200);
      assertThat(waiting.get(60, TimeUnit.SECONDS).completion()).isEqualTo(5);
    } finally {
      one.close();
    }
  }

  @Test
  void closingEndsRunningAndWaitingGenerationsAsCancelled() throws Exception {
    LlamaEngine one = LlamaEngine.open(engine.file(), new LlamaEngine.Options(1, 256, 1, 2));
    CompletableFuture<Result> running = run(one, greedy("first", 200));
    CompletableFuture<Result> waiting = run(one, greedy("second", 5));
    one.close();
    assertThat(running.get(30, TimeUnit.SECONDS).reason())
        .isEqualTo(GenerationListener.FinishReason.CANCELLED);
    assertThat(waiting.get(30, TimeUnit.SECONDS).reason())
        .isEqualTo(GenerationListener.FinishReason.CANCELLED);
    assertThatThrownBy(() -> run(one, greedy("third", 5)))
        .isInstanceOfSatisfying(
            StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
  }

  @Test
  void manySequencesAtOnceEachGetTheirWholeAnswer() throws Exception {
    // more generations than sequences, started together: each one's tokens reach its own listener
    LlamaEngine four = LlamaEngine.open(engine.file(), new LlamaEngine.Options(4, 128, 1, 8));
    try {
      List<CompletableFuture<Result>> all = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        all.add(run(four, greedy("prompt " + (i % 3), 8 + i)));
      }
      for (int i = 0; i < 12; i++) {
        Result r = all.get(i).get(60, TimeUnit.SECONDS);
        assertThat(r.completion()).as("generation %d", i).isEqualTo(8 + i);
        assertThat(r.text()).as("generation %d", i).hasSize(8 + i);
        assertThat(r.reason()).isEqualTo(GenerationListener.FinishReason.LENGTH);
      }
      // the same prompt gives the same greedy text whatever ran beside it
      assertThat(all.get(3).get().text()).startsWith(all.get(0).get().text());
    } finally {
      four.close();
    }
  }

  @Test
  void theChatTemplateIsChatMl() {
    String prompt =
        engine.chatPrompt(List.of(new Pair<>("system", "be brief"), new Pair<>("user", "hi")));
    assertThat(prompt)
        .isEqualTo(
            "<|im_start|>system\nbe brief<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"
                + "<|im_start|>assistant\n");
  }

  @Test
  void quantizedModelsLoadAndGenerate() throws Exception {
    for (GgmlType t : List.of(GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0)) {
      Path f = TinyModels.write(dir.resolve("tiny-" + t + ".gguf"), 1, t);
      assertThat(Files.size(f)).isLessThan(Files.size(engine.file()));
      try (LlamaEngine q = LlamaEngine.open(f, new LlamaEngine.Options(1, 64, 1, 0))) {
        assertThat(run(q, greedy("hello", 4)).get(60, TimeUnit.SECONDS).completion())
            .as("%s", t)
            .isEqualTo(4);
      }
    }
  }

  @Test
  void aFileThatIsNotGgufIsTheCallersMistake() throws Exception {
    Path bad = Files.writeString(dir.resolve("bad.gguf"), "not a model");
    assertThatThrownBy(() -> LlamaEngine.open(bad, LlamaEngine.Options.defaults()))
        .isInstanceOfSatisfying(
            StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("cannot load");
  }
}
