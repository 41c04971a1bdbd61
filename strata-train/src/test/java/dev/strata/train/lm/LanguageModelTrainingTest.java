package dev.strata.train.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strata.core.StrataException;
import dev.strata.llm.gguf.ByteBpeVocabulary;
import dev.strata.llm.gguf.GgmlType;
import dev.strata.train.TestSupport;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A small llama-architecture model trained end to end on 119 entries of Ambrose Bierce's <i>The
 * Devil's Dictionary</i> (1911, public domain; from Debian's dict-devil), exported as GGUF and run
 * in llama.cpp: llama.cpp must tokenize as the fitted tokenizer does and continue every prompt
 * greedily exactly as the DJL model does.
 */
class LanguageModelTrainingTest {
  static final String SPEC =
      """
      name: tiny-test-lm
      task: language_model
      tokenizer: {vocab_size: 400}
      model: {embedding: 64, layers: 2, heads: 4, kv_heads: 2, feed_forward: 128, context: 48}
      training: {steps: 120, batch_size: 8, seed: 7, learning_rate: 0.01, warmup_steps: 10,
                 eval_every: 40}
      """;

  @TempDir static Path dir;
  static TextCorpus corpus;
  static LanguageModelTrainer.Result result;

  @BeforeAll
  static void train() throws Exception {
    corpus = TextCorpus.load(sample());
    result =
        new LanguageModelTrainer(TestSupport.CONFIG, null)
            .train(LanguageModelSpec.parse(SPEC), corpus, dir.resolve("lm"));
  }

  static Path sample() throws URISyntaxException {
    return Path.of(
        LanguageModelTrainingTest.class.getResource("/lm/devils-dictionary-sample.txt").toURI());
  }

  @Test
  void corpusIsSplitIntoTrainingAndHeldOutDocuments() {
    assertThat(corpus.train()).hasSize(108);
    assertThat(corpus.heldOut()).hasSize(11);
    assertThat(corpus.heldOut().getFirst()).startsWith("ADMONITION, n.");
    assertThat(corpus.digest()).hasSize(64);
  }

  @Test
  void theModelLearnsAndKeepsItsBestHeldOutPerplexity() throws Exception {
    List<JsonNode> log =
        Files.readAllLines(dir.resolve("lm/training-log.jsonl")).stream()
            .map(l -> read(l))
            .toList();
    assertThat(log).hasSize(3);
    double first = log.getFirst().get("probe_perplexity").asDouble();
    double best =
        log.stream().mapToDouble(l -> l.get("probe_perplexity").asDouble()).min().orElseThrow();
    // the sample's held-out text is shorter than the probe: probe and held-out scores coincide
    // an untrained model is near-uniform over 400 tokens; training must beat that by far
    assertThat(first).isLessThan(400);
    assertThat(best).isLessThan(first).isEqualTo(result.heldOutPerplexity(), within(1e-9));
    JsonNode metrics = read(Files.readString(dir.resolve("lm/metrics.json")));
    assertThat(metrics.get("held_out_perplexity").asDouble()).isEqualTo(best, within(1e-9));
    assertThat(metrics.get("parameters").asLong()).isEqualTo(result.parameters());
    // 400 x 64 embedding (tied output), 2 blocks of attention (q, o: 64x64; k, v: 32x64) and
    // SwiGLU (3 x 64x128), 2 norms per block and the final norm
    assertThat(result.parameters())
        .isEqualTo(400 * 64 + 2 * (2 * 64 * 64 + 2 * 32 * 64 + 3 * 64 * 128 + 2 * 64) + 64);
  }

  @Test
  void fittedTokenizerRoundTripsAndItsTokensAreDistinct() throws Exception {
    Path json = dir.resolve("lm/tokenizer.json");
    ByteBpeVocabulary v = TrainedLanguageModel.vocabulary(json);
    assertThat(v.tokens()).hasSize(400);
    assertThat(new HashSet<>(v.tokens())).hasSize(400);
    assertThat(ByteBpe.fit(corpus.train(), 400)).isEqualTo(v.merges());
    try (HuggingFaceTokenizer tok = ByteBpe.open(json)) {
      String text = "PHILOSOPHY, n. A route of many roads leading from nowhere to nothing. café";
      long[] ids = tok.encode(text).getIds();
      assertThat(ids.length).isLessThan(text.length() * 3 / 4);
      assertThat(tok.decode(ids, false)).isEqualTo(text);
    }
  }

  @Test
  void ggufExportContinuesEveryPromptExactlyAsTheDjlModel() throws Exception {
    try (TrainedLanguageModel model =
        TrainedLanguageModel.load(TestSupport.CONFIG, dir.resolve("lm"))) {
      List<String> prompts = List.of("ABSURDITY, n.", "A man who", "The", "LOVE, n. A", "It is");
      Path f32 = dir.resolve("tiny-f32.gguf");
      GgufExport.Report r = GgufExport.export(model, GgmlType.F32, f32, prompts, 2);
      assertThat(r.identical()).isEqualTo(prompts.size());
      assertThat(r.tokenAgreement()).isEqualTo(1.0);
      // and not only end of sequence at once: the model writes something
      assertThat(model.greedy(model.encode("A man who"), 8)).isNotEmpty();

      Path q8 = dir.resolve("tiny-q8.gguf");
      GgufExport.Report q = GgufExport.export(model, GgmlType.Q8_0, q8, prompts, 2);
      assertThat(q.bytes()).isLessThan(r.bytes() / 2);
      assertThat(q.tokenAgreement()).isGreaterThan(0.5);
    }
  }

  @Test
  void specErrorsNameTheField() {
    assertThatThrownBy(() -> LanguageModelSpec.parse(SPEC.replace("context: 48", "contxt: 48")))
        .isInstanceOf(StrataException.class)
        .hasMessageContaining("model.contxt: unknown field");
    assertThatThrownBy(
            () -> LanguageModelSpec.parse(SPEC.replace("vocab_size: 400", "vocab_size: 100")))
        .hasMessageContaining("tokenizer.vocab_size: 100");
    assertThatThrownBy(() -> LanguageModelSpec.parse(SPEC.replace("kv_heads: 2", "kv_heads: 3")))
        .hasMessageContaining("model:");
    assertThatThrownBy(() -> TextCorpus.load(dir.resolve("missing.txt")))
        .hasMessageContaining("no such file");
  }

  private static org.assertj.core.data.Offset<Double> within(double d) {
    return org.assertj.core.data.Offset.offset(d);
  }

  private static JsonNode read(String json) {
    try {
      return new ObjectMapper().readTree(json);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
