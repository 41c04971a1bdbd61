package dev.strata.llm.generate;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * One generation: a prompt (already through the chat template, for chat) and how to sample.
 *
 * @param prompt the text to continue
 * @param maxTokens at most this many tokens are generated
 * @param temperature 0 samples greedily
 * @param topP nucleus sampling's probability mass (1 = off)
 * @param seed the sampler's seed, for reproducible sampling at temperature > 0
 * @param stop strings that end the generation (not included in the text)
 * @param logitBias added to the logits of these token ids before sampling (OpenAI's {@code
 *     logit_bias}: -100 bans a token, 100 forces it)
 */
public record GenerationRequest(
    String prompt,
    int maxTokens,
    double temperature,
    double topP,
    OptionalLong seed,
    List<String> stop,
    Map<Integer, Double> logitBias) {
  public GenerationRequest {
    requireNonNull(prompt, "prompt");
    if (maxTokens < 1) {
      throw new IllegalArgumentException("maxTokens: " + maxTokens + " (expected: >= 1)");
    }
    requireNonNull(seed, "seed");
    stop = List.copyOf(stop);
    logitBias = Map.copyOf(logitBias);
  }

  /** A request without logit biases. */
  public GenerationRequest(
      String prompt,
      int maxTokens,
      double temperature,
      double topP,
      OptionalLong seed,
      List<String> stop) {
    this(prompt, maxTokens, temperature, topP, seed, stop, Map.of());
  }
}
