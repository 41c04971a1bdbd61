package dev.strata.llm.generate;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import dev.strata.llm.generate.GenerationListener.FinishReason;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * How sure a language model is of one answer, without token probabilities: beside the answer,
 * {@value #SAMPLES} continuations are sampled (temperature {@value #TEMPERATURE}, seeds 1 to
 * {@value #SAMPLES}, at most {@value #TOKENS} tokens each) and the score is the share of the
 * answer's first {@value #TOKENS} tokens that they reproduce at the same position, averaged over
 * the samples (0-1). A model whose distribution is peaked repeats its answer; one that is unsure
 * wanders off. This is the confidence of the {@code cascade} policy with measure {@code AGREEMENT},
 * and {@code strata calibrate} computes it the same way. The seeds are fixed, so the score of a
 * prompt is the same every time.
 */
public final class SampledAgreement {
  /** Samples drawn beside the answer. */
  public static final int SAMPLES = 4;

  /** The samples' temperature. */
  public static final double TEMPERATURE = 1.0;

  /** Tokens of the answer compared. */
  public static final int TOKENS = 16;

  private SampledAgreement() {}

  /**
   * An answer and its score.
   *
   * @param pieces the answer's text, token by token (as the listener heard it)
   * @param reason why the answer ended
   * @param promptTokens tokens in the prompt
   * @param completionTokens tokens generated for the answer
   * @param score the agreement of the samples with the answer (0-1)
   */
  public record Scored(
      List<String> pieces,
      FinishReason reason,
      int promptTokens,
      int completionTokens,
      double score) {
    public Scored {
      pieces = List.copyOf(pieces);
      requireNonNull(reason, "reason");
    }

    public String text() {
      return String.join("", pieces);
    }
  }

  /**
   * The score of {@code answer} given the samples: for each sample, the share of the answer's first
   * {@code tokens} tokens it has at the same position (for an empty answer: 1 when the sample is
   * empty too, else 0), averaged.
   */
  public static double score(List<String> answer, List<List<String>> samples, int tokens) {
    if (samples.isEmpty()) {
      throw new IllegalArgumentException("samples: none (expected: at least one)");
    }
    int n = Math.min(tokens, answer.size());
    double sum = 0;
    for (List<String> s : samples) {
      if (n == 0) {
        sum += s.isEmpty() ? 1 : 0;
        continue;
      }
      int same = 0;
      for (int i = 0; i < n && i < s.size(); i++) {
        if (s.get(i).equals(answer.get(i))) {
          same++;
        }
      }
      sum += (double) same / n;
    }
    return sum / samples.size();
  }

  /** The sampled continuations compared with the answer to {@code request}. */
  public static List<GenerationRequest> samples(GenerationRequest request) {
    List<GenerationRequest> out = new ArrayList<>(SAMPLES);
    for (int seed = 1; seed <= SAMPLES; seed++) {
      out.add(
          new GenerationRequest(
              request.prompt(),
              Math.min(request.maxTokens(), TOKENS),
              TEMPERATURE,
              1,
              OptionalLong.of(seed),
              request.stop(),
              request.logitBias()));
    }
    return out;
  }

  /**
   * Generates the answer to {@code request} and its samples on {@code engine} side by side (each on
   * its own sequence) and scores the answer. A sample the engine has no room for counts as one that
   * agrees with nothing, so a busy engine's answers score low. The future fails when the answer
   * itself could not be generated; cancelling it stops every generation of it.
   */
  public static CompletableFuture<Scored> run(LlamaEngine engine, GenerationRequest request) {
    requireNonNull(engine, "engine");
    requireNonNull(request, "request");
    Collector answer = new Collector();
    List<Collector> samples = new ArrayList<>(SAMPLES);
    List<Generation> running = new CopyOnWriteArrayList<>();
    running.add(engine.generate(request, answer));
    for (GenerationRequest s : samples(request)) {
      Collector c = new Collector();
      samples.add(c);
      try {
        running.add(engine.generate(s, c));
      } catch (StrataException busy) {
        c.failed(busy);
      }
    }
    CompletableFuture<?>[] waits = new CompletableFuture<?>[samples.size() + 1];
    waits[0] = answer.done;
    for (int i = 0; i < samples.size(); i++) {
      // a sample that failed agrees with nothing: it is an empty list against a non-empty answer
      waits[i + 1] = samples.get(i).done.exceptionally(e -> null);
    }
    CompletableFuture<Scored> result =
        CompletableFuture.allOf(waits)
            .thenApply(
                v -> {
                  List<List<String>> texts = new ArrayList<>(samples.size());
                  for (Collector c : samples) {
                    texts.add(c.done.isCompletedExceptionally() ? List.of("\0") : c.pieces);
                  }
                  return new Scored(
                      answer.pieces,
                      answer.reason,
                      answer.promptTokens,
                      answer.completionTokens,
                      score(answer.pieces, texts, TOKENS));
                });
    result.whenComplete(
        (r, e) -> {
          if (result.isCancelled()) {
            running.forEach(Generation::cancel);
          }
        });
    return result;
  }

  /** Collects one generation. */
  private static final class Collector implements GenerationListener {
    final List<String> pieces = new ArrayList<>();
    final CompletableFuture<Void> done = new CompletableFuture<>();
    FinishReason reason = FinishReason.STOP;
    int promptTokens;
    int completionTokens;

    @Override
    public boolean token(String text) {
      pieces.add(text);
      return !done.isDone();
    }

    @Override
    public void completed(FinishReason reason, int promptTokens, int completionTokens) {
      this.reason = reason;
      this.promptTokens = promptTokens;
      this.completionTokens = completionTokens;
      done.complete(null);
    }

    @Override
    public void failed(Throwable cause) {
      done.completeExceptionally(cause);
    }
  }
}
