package dev.strata.train.lm;

import ai.djl.engine.Engine;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strata.core.StrataException;
import dev.strata.llm.gguf.ByteBpeVocabulary;
import dev.strata.llm.gguf.LlamaGguf;
import dev.strata.train.engine.DjlEngines;
import dev.strata.train.engine.TrainConfig;
import dev.strata.train.training.ModelTrainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A language model trained by {@link LanguageModelTrainer}, in DJL: its spec, tokenizer and
 * weights, greedy generation, held-out loss, and its GGUF form for llama.cpp.
 *
 * <p>A trained model's directory holds {@code spec.yaml}, {@code tokenizer.json}, {@code lm.params}
 * (DJL's parameter file), {@code training-log.jsonl} and {@code metrics.json}.
 */
public final class TrainedLanguageModel implements AutoCloseable {
  static final String SPEC = "spec.yaml";
  static final String TOKENIZER = "tokenizer.json";
  static final String PARAMS = "lm.params";

  private final LanguageModelSpec spec;
  private final ByteBpeVocabulary vocabulary;
  private final HuggingFaceTokenizer tokenizer;
  private final NDManager manager;
  private final LlamaBlock block;
  private final ParameterStore store;

  TrainedLanguageModel(
      LanguageModelSpec spec,
      ByteBpeVocabulary vocabulary,
      HuggingFaceTokenizer tokenizer,
      NDManager manager,
      LlamaBlock block) {
    this.spec = spec;
    this.vocabulary = vocabulary;
    this.tokenizer = tokenizer;
    this.manager = manager;
    this.block = block;
    this.store = new ParameterStore(manager, false);
  }

  /** Loads the model that {@code strata train} wrote into {@code dir}. */
  public static TrainedLanguageModel load(TrainConfig config, Path dir) throws IOException {
    for (String f : List.of(SPEC, TOKENIZER, PARAMS)) {
      if (!Files.isRegularFile(dir.resolve(f))) {
        throw StrataException.invalid(
            "%s: no %s (expected: the output directory of 'strata train' on a language model)",
            dir, f);
      }
    }
    LanguageModelSpec spec = LanguageModelSpec.read(dir.resolve(SPEC));
    ByteBpeVocabulary vocabulary = vocabulary(dir.resolve(TOKENIZER));
    Engine engine = DjlEngines.pytorch(config);
    NDManager manager = engine.newBaseManager();
    HuggingFaceTokenizer tokenizer = null;
    try {
      LlamaBlock block = new LlamaBlock(spec.model(), vocabulary.tokens().size());
      block.initialize(manager, DataType.FLOAT32, new Shape(1, spec.model().context()));
      try {
        ModelTrainer.load(block, manager, Files.readAllBytes(dir.resolve(PARAMS)));
      } catch (StrataException e) {
        throw StrataException.invalid("%s: %s", dir.resolve(PARAMS), e.getMessage());
      }
      tokenizer = ByteBpe.open(dir.resolve(TOKENIZER));
      return new TrainedLanguageModel(spec, vocabulary, tokenizer, manager, block);
    } catch (IOException | RuntimeException e) {
      if (tokenizer != null) {
        tokenizer.close();
      }
      manager.close();
      throw e;
    }
  }

  /** The vocabulary of a {@code tokenizer.json} that {@link ByteBpe} wrote. */
  static ByteBpeVocabulary vocabulary(Path tokenizerJson) throws IOException {
    JsonNode root = new ObjectMapper().readTree(tokenizerJson.toFile());
    List<String> merges = new ArrayList<>();
    root.path("model").path("merges").forEach(m -> merges.add(m.asText()));
    ByteBpeVocabulary v = ByteBpeVocabulary.of(merges);
    if (root.path("model").path("vocab").size() != v.tokens().size()) {
      throw StrataException.invalid("%s: vocabulary and merges disagree", tokenizerJson);
    }
    return v;
  }

  public LanguageModelSpec spec() {
    return spec;
  }

  public ByteBpeVocabulary vocabulary() {
    return vocabulary;
  }

  public long parameterCount() {
    return block.parameterCount();
  }

  /** The token ids of {@code text} (nothing added). */
  public int[] encode(String text) {
    return Arrays.stream(tokenizer.encode(text).getIds()).mapToInt(i -> (int) i).toArray();
  }

  /** The text of {@code ids}. */
  public String decode(int[] ids) {
    return tokenizer.decode(Arrays.stream(ids).mapToLong(i -> i).toArray(), false);
  }

  /**
   * Greedy continuation of {@code prompt}: up to {@code max} tokens, ending early at the end of
   * sequence (not included), the window sliding when the context is full.
   */
  public int[] greedy(int[] prompt, int max) {
    List<Integer> seq = new ArrayList<>();
    for (int id : prompt) {
      seq.add(id);
    }
    int[] out = new int[max];
    int n = 0;
    int ctx = spec.model().context();
    while (n < max) {
      int from = Math.max(0, seq.size() - ctx);
      long[] window = seq.subList(from, seq.size()).stream().mapToLong(i -> i).toArray();
      int next;
      try (NDManager m = manager.newSubManager()) {
        NDArray x = m.create(window, new Shape(1, window.length));
        NDArray logits = block.forward(store, new NDList(x), false).singletonOrThrow();
        next = (int) logits.get(0, window.length - 1).argMax().getLong();
      }
      if (next == vocabulary.eos()) {
        break;
      }
      out[n++] = next;
      seq.add(next);
    }
    return Arrays.copyOf(out, n);
  }

  /** The model in llama.cpp's terms, ready to write as GGUF. */
  public LlamaGguf toGguf() {
    Map<String, LlamaGguf.Weight> w = new LinkedHashMap<>();
    for (String name : block.names()) {
      NDArray a = block.parameter(name).getArray();
      long[] shape = a.getShape().getShape();
      long[] dims = new long[shape.length];
      for (int i = 0; i < shape.length; i++) {
        dims[i] = shape[shape.length - 1 - i];
      }
      w.put(name, new LlamaGguf.Weight(dims, a.toFloatArray()));
    }
    return new LlamaGguf(spec.name(), spec.model(), vocabulary, w);
  }

  @Override
  public void close() {
    tokenizer.close();
    manager.close();
  }
}
