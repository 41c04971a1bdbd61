package dev.strata.train.lm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.strata.core.StrataException;
import dev.strata.llm.gguf.LlamaGguf;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Set;

/**
 * The spec of a language model that {@code strata train} learns ({@code task: language_model}): a
 * byte-level BPE tokenizer of {@code vocab_size} tokens fitted on the corpus, a decoder-only
 * transformer of llama's architecture, and the training run.
 *
 * <pre>
 * name: tiny-lm-edge
 * task: language_model
 * tokenizer: {vocab_size: 1024}
 * model: {embedding: 128, layers: 4, heads: 4, kv_heads: 4, feed_forward: 384, context: 128}
 * training: {steps: 1500, batch_size: 16, seed: 42, learning_rate: 0.003, weight_decay: 0.01,
 *            warmup_steps: 100, min_learning_rate: 0.0001, eval_every: 100}
 * </pre>
 *
 * @param name the model's name
 * @param vocabSize tokens in all: the 256 bytes, the fitted merges and the two ChatML tokens
 * @param model the transformer's hyper-parameters
 * @param training the training run
 * @param source the spec's own text, kept with the trained model
 */
public record LanguageModelSpec(
    String name, int vocabSize, LlamaGguf.Spec model, Training training, String source) {
  /** The task name that marks a spec as a language model's. */
  public static final String TASK = "language_model";

  /** Tokens that are not merges: the 256 bytes and the two ChatML tokens. */
  public static final int BASE_TOKENS = 256 + 2;

  /**
   * The training run.
   *
   * @param steps optimizer steps
   * @param batchSize windows of {@code context + 1} tokens per step
   * @param seed seeds the initial weights, the tokenizer's ties and the windows drawn
   * @param learningRate AdamW's peak learning rate
   * @param weightDecay AdamW's decoupled weight decay
   * @param warmupSteps linear warm-up
   * @param minLearningRate the cosine schedule's floor
   * @param evalEvery held-out perplexity every this many steps (the best is kept)
   */
  public record Training(
      int steps,
      int batchSize,
      long seed,
      double learningRate,
      double weightDecay,
      int warmupSteps,
      double minLearningRate,
      int evalEvery) {
    public Training {
      positive("training.steps", steps);
      positive("training.batch_size", batchSize);
      positive("training.eval_every", evalEvery);
      if (!(learningRate > 0) || !(weightDecay >= 0) || !(minLearningRate >= 0)) {
        throw StrataException.invalid(
            "training: learning_rate %s, min_learning_rate %s, weight_decay %s (expected: > 0,"
                + " >= 0, >= 0)",
            learningRate, minLearningRate, weightDecay);
      }
      if (warmupSteps < 0) {
        throw StrataException.invalid("training.warmup_steps: %d (expected: >= 0)", warmupSteps);
      }
    }

    /** The learning rate at {@code step} (0-based): linear warm-up, then cosine to the floor. */
    public double rateAt(int step) {
      if (step < warmupSteps) {
        return learningRate * (step + 1) / warmupSteps;
      }
      double p = (double) (step - warmupSteps) / Math.max(1, steps - warmupSteps);
      return minLearningRate + (learningRate - minLearningRate) * 0.5 * (1 + Math.cos(Math.PI * p));
    }
  }

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** Whether the spec at {@code file} is a language model's ({@code task: language_model}). */
  public static boolean isLanguageModel(Path file) throws IOException {
    JsonNode n = YAML.readTree(Files.readString(file));
    return n != null && TASK.equals(n.path("task").asText());
  }

  /** Reads and checks a spec; an unknown or missing field is an error naming it. */
  public static LanguageModelSpec read(Path file) throws IOException {
    return parse(Files.readString(file));
  }

  /** Parses and checks a spec's text. */
  public static LanguageModelSpec parse(String text) {
    JsonNode n;
    try {
      n = YAML.readTree(text);
    } catch (IOException e) {
      throw StrataException.invalid("spec: not YAML or JSON (%s)", e.getMessage());
    }
    if (n == null || !n.isObject()) {
      throw StrataException.invalid("spec: expected a mapping");
    }
    known(n, "", Set.of("format_version", "name", "task", "tokenizer", "model", "training"));
    if (!TASK.equals(n.path("task").asText())) {
      throw StrataException.invalid("task: '%s' (expected: %s)", n.path("task").asText(), TASK);
    }
    String name = text(n, "name");
    JsonNode t = object(n, "tokenizer");
    known(t, "tokenizer.", Set.of("type", "vocab_size"));
    if (t.has("type") && !"byte_bpe".equals(t.get("type").asText())) {
      throw StrataException.invalid(
          "tokenizer.type: '%s' (expected: byte_bpe)", t.get("type").asText());
    }
    int vocab = integer(t, "tokenizer.", "vocab_size", null);
    if (vocab <= BASE_TOKENS) {
      throw StrataException.invalid(
          "tokenizer.vocab_size: %d (expected: > %d, the bytes and ChatML tokens)",
          vocab, BASE_TOKENS);
    }
    JsonNode m = object(n, "model");
    known(
        m,
        "model.",
        Set.of(
            "embedding",
            "layers",
            "heads",
            "kv_heads",
            "feed_forward",
            "context",
            "rms_epsilon",
            "rope_theta"));
    int heads = integer(m, "model.", "heads", null);
    LlamaGguf.Spec model;
    try {
      model =
          new LlamaGguf.Spec(
              integer(m, "model.", "embedding", null),
              integer(m, "model.", "layers", null),
              heads,
              integer(m, "model.", "kv_heads", heads),
              integer(m, "model.", "feed_forward", null),
              integer(m, "model.", "context", null),
              (float) m.path("rms_epsilon").asDouble(1e-5),
              (float) m.path("rope_theta").asDouble(10000));
    } catch (IllegalArgumentException e) {
      throw StrataException.invalid(
          "model: %s (embedding must divide by heads, heads by kv_heads)", e.getMessage());
    }
    if (model.headDim() % 2 != 0) {
      throw StrataException.invalid(
          "model: head dimension %d is odd (rotary embeddings rotate pairs)", model.headDim());
    }
    JsonNode r = object(n, "training");
    known(
        r,
        "training.",
        Set.of(
            "steps",
            "batch_size",
            "seed",
            "learning_rate",
            "weight_decay",
            "warmup_steps",
            "min_learning_rate",
            "eval_every"));
    Training training =
        new Training(
            integer(r, "training.", "steps", null),
            integer(r, "training.", "batch_size", 16),
            r.path("seed").asLong(42),
            r.path("learning_rate").asDouble(3e-3),
            r.path("weight_decay").asDouble(0.01),
            count(r, "training.warmup_steps"),
            r.path("min_learning_rate").asDouble(1e-4),
            integer(r, "training.", "eval_every", 100));
    return new LanguageModelSpec(name, vocab, model, training, text);
  }

  /** This spec with {@code steps} training steps (a quick run). */
  public LanguageModelSpec withSteps(int steps) {
    Training t = training;
    return new LanguageModelSpec(
        name,
        vocabSize,
        model,
        new Training(
            steps,
            t.batchSize(),
            t.seed(),
            t.learningRate(),
            t.weightDecay(),
            Math.min(t.warmupSteps(), steps),
            t.minLearningRate(),
            Math.min(t.evalEvery(), steps)),
        source);
  }

  private static void positive(String field, int v) {
    if (v < 1) {
      throw StrataException.invalid("%s: %d (expected: >= 1)", field, v);
    }
  }

  private static void known(JsonNode n, String prefix, Set<String> fields) {
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!fields.contains(f)) {
        throw StrataException.invalid(
            "%s%s: unknown field (expected one of: %s)",
            prefix, f, String.join(", ", fields.stream().sorted().toList()));
      }
    }
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual() || v.asText().isBlank()) {
      throw StrataException.invalid("%s: missing (expected: a name)", field);
    }
    return v.asText();
  }

  private static JsonNode object(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || !v.isObject()) {
      throw StrataException.invalid("%s: missing (expected: a mapping)", field);
    }
    return v;
  }

  private static int count(JsonNode n, String path) {
    String field = path.substring(path.indexOf('.') + 1);
    JsonNode v = n.get(field);
    if (v == null) {
      return 0;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
      throw StrataException.invalid("%s: %s (expected: an integer >= 0)", path, v.asText());
    }
    return v.asInt();
  }

  private static int integer(JsonNode n, String prefix, String field, Integer dflt) {
    JsonNode v = n.get(field);
    if (v == null) {
      if (dflt == null) {
        throw StrataException.invalid("%s%s: missing", prefix, field);
      }
      return dflt;
    }
    if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 1) {
      throw StrataException.invalid(
          "%s%s: %s (expected: a positive integer)", prefix, field, v.asText());
    }
    return v.asInt();
  }
}
