package dev.strata.edge.calibrate;

import dev.strata.core.StrataException;
import dev.strata.llm.generate.GenerationRequest;
import dev.strata.llm.generate.LlamaEngine;
import dev.strata.llm.generate.SampledAgreement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A GGUF language model run in-process through llama.cpp (as the edge and the cloud serve it) over
 * a prompt set: greedy answers, and for the edge model each answer's {@link SampledAgreement}
 * score, computed as the edge's cascade computes it.
 */
final class LanguageModelScorer implements AutoCloseable {
  private static final Duration TIMEOUT = Duration.ofMinutes(2);

  /** An answer and its agreement score (NaN when not scored). */
  record Answer(String text, double score) {}

  private final LlamaEngine engine;
  private final int maxTokens;

  private LanguageModelScorer(LlamaEngine engine, int maxTokens) {
    this.engine = engine;
    this.maxTokens = maxTokens;
  }

  static LanguageModelScorer open(String model, int maxTokens, int threads) {
    Path file = Path.of(model);
    if (!Files.isRegularFile(file)) {
      throw StrataException.invalid("%s: not a file (expected: a model.gguf)", model);
    }
    return new LanguageModelScorer(
        LlamaEngine.open(
            file, new LlamaEngine.Options(SampledAgreement.SAMPLES + 1, 512, threads, 64)),
        maxTokens);
  }

  private GenerationRequest request(String prompt) {
    return new GenerationRequest(prompt, maxTokens, 0, 1, OptionalLong.of(1), List.of());
  }

  /** Greedy answers, scored when {@code scored}. */
  List<Answer> answers(PromptSet set, boolean scored) throws InterruptedException {
    List<Answer> out = new ArrayList<>(set.size());
    for (PromptSet.Prompt p : set.prompts()) {
      if (scored) {
        CompletableFuture<SampledAgreement.Scored> run =
            SampledAgreement.run(engine, request(p.prompt()));
        try {
          SampledAgreement.Scored s = run.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
          out.add(new Answer(s.text(), s.score()));
        } catch (ExecutionException | TimeoutException e) {
          run.cancel(false);
          throw StrataException.invalid("generation failed for prompt %d: %s", out.size() + 1, e);
        }
      } else {
        out.add(new Answer(engine.complete(request(p.prompt()), TIMEOUT), Double.NaN));
      }
    }
    return out;
  }

  @Override
  public void close() {
    engine.close();
  }
}
