package dev.strata.llm.embed;

import java.util.List;

/**
 * The embeddings of one request's inputs, in their order.
 *
 * @param model the model
 * @param version the version that answered
 * @param vectors one vector per input
 * @param promptTokens the inputs' tokens (special tokens included, padding not)
 */
public record EmbeddingResult(
    String model, String version, List<float[]> vectors, int promptTokens) {
  public EmbeddingResult {
    vectors = List.copyOf(vectors);
  }
}
