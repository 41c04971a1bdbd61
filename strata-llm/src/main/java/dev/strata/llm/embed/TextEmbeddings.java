package dev.strata.llm.embed;

import static java.util.Objects.requireNonNull;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.strata.core.DataType;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.ModelMetadata;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import dev.strata.core.TensorSpec;
import dev.strata.runtime.InferenceService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Text embeddings from ONNX encoders (BERT-like: all-MiniLM-L6-v2, e5, bge) that the runtime
 * serves: a model whose served version directory also holds a {@code tokenizer.json} is an
 * embedding model. Inputs are tokenized by HuggingFace's tokenizers (DJL's binding, offline, with
 * the model's own {@code tokenizer.json}), padded to the longest input of the request, run through
 * the runtime (so its dynamic batcher and limits apply), and the token embeddings (output {@code
 * last_hidden_state}, else the first output of rank 3) are mean-pooled over the attention mask and
 * L2-normalised, as sentence-transformers does for these models, unless the model's {@code
 * parameters} say otherwise ({@code pooling}: mean, cls or max; {@code normalize}: true or false).
 *
 * <p>An input longer than the model's positions ({@value #MAX_TOKENS} tokens, BERT's) is refused,
 * naming both lengths: it is never truncated silently. A model the runtime does not batch (its
 * batching did not prove out when it loaded) embeds one text per run.
 */
public final class TextEmbeddings implements AutoCloseable {
  /** The longest input in tokens, when the tokenizer does not say: BERT's 512 positions. */
  public static final int MAX_TOKENS = 512;

  /** At most this many inputs per request (as OpenAI's API). */
  public static final int MAX_INPUTS = 2048;

  private record Loaded(
      String version, HuggingFaceTokenizer tokenizer, int maxTokens, Pooling pooling) {}

  private final Path root;
  private final InferenceService runtime;
  private final Map<String, Loaded> tokenizers = new ConcurrentHashMap<>();

  public TextEmbeddings(Path root, InferenceService runtime) {
    this.root = requireNonNull(root, "root");
    this.runtime = requireNonNull(runtime, "runtime");
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("OPT_OUT_TRACKING", "true");
  }

  /** The version the runtime serves of {@code model}, if it is an embedding model. */
  public Optional<String> embeddingVersion(String model) {
    if (!runtime.modelReady(model, Optional.empty())) {
      return Optional.empty();
    }
    ModelMetadata m;
    try {
      m = runtime.modelMetadata(model, Optional.empty());
    } catch (StrataException e) {
      return Optional.empty();
    }
    String newest =
        m.versions().stream()
            .max((a, b) -> Long.compare(Long.parseLong(a), Long.parseLong(b)))
            .orElse("");
    if (newest.isEmpty() || !Files.isRegularFile(tokenizerFile(model, newest))) {
      return Optional.empty();
    }
    return Optional.of(newest);
  }

  private Path tokenizerFile(String model, String version) {
    return root.resolve(model).resolve(version).resolve("tokenizer.json");
  }

  /**
   * Embeds {@code inputs} with {@code model}.
   *
   * @throws StrataException NOT_FOUND when the model is not an embedding model served here,
   *     INVALID_ARGUMENT for no input, an empty one, too many, or one over the maximum length
   */
  public CompletableFuture<EmbeddingResult> embed(String model, List<String> inputs) {
    requireNonNull(model, "model");
    requireNonNull(inputs, "inputs");
    String version =
        embeddingVersion(model)
            .orElseThrow(
                () ->
                    StrataException.notFound(
                        "model '%s' is not an embedding model served here (an ONNX model whose"
                            + " version directory holds tokenizer.json)",
                        model));
    if (inputs.isEmpty()) {
      throw StrataException.invalid("'input': no text to embed");
    }
    if (inputs.size() > MAX_INPUTS) {
      throw StrataException.invalid(
          "'input': %d texts (expected: at most %d per request)", inputs.size(), MAX_INPUTS);
    }
    for (int i = 0; i < inputs.size(); i++) {
      if (inputs.get(i) == null || inputs.get(i).isEmpty()) {
        throw StrataException.invalid("'input[%d]': an empty text (expected: non-empty)", i);
      }
    }
    Loaded t = tokenizer(model, version);
    List<Encoding> encodings = new ArrayList<>(inputs.size());
    int tokens = 0;
    for (int i = 0; i < inputs.size(); i++) {
      Encoding e = t.tokenizer().encode(inputs.get(i));
      if (e.getIds().length > t.maxTokens()) {
        throw StrataException.invalid(
            "'input[%d]' is %d tokens, over the model's maximum of %d tokens",
            i, e.getIds().length, t.maxTokens());
      }
      encodings.add(e);
      tokens += e.getIds().length;
    }
    ModelMetadata meta = runtime.modelMetadata(model, Optional.of(version));
    int total = tokens;
    if (batches(meta)) {
      return run(model, version, meta, encodings, t.pooling())
          .thenApply(v -> new EmbeddingResult(model, version, v, total));
    }
    // A model that does not batch (its rows depend on each other: dynamic quantization scales
    // over the whole tensor, say) gets one text per run, as the runtime gives it one request per
    // batch: a text's vector never depends on what else was sent.
    List<CompletableFuture<List<float[]>>> each = new ArrayList<>();
    for (Encoding e : encodings) {
      each.add(run(model, version, meta, List.of(e), t.pooling()));
    }
    return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
        .thenApply(
            x -> {
              List<float[]> vectors = new ArrayList<>();
              each.forEach(f -> vectors.add(f.join().getFirst()));
              return new EmbeddingResult(model, version, vectors, total);
            });
  }

  /** Whether the runtime batches the model (its batching was proven when it loaded). */
  private static boolean batches(ModelMetadata meta) {
    Object max = meta.parameters().get("max_batch_size");
    return max instanceof Number n
        && n.intValue() > 1
        && !meta.parameters().containsKey("batching");
  }

  private CompletableFuture<List<float[]>> run(
      String model, String version, ModelMetadata meta, List<Encoding> encodings, Pooling pooling) {
    int n = encodings.size();
    int longest = 0;
    for (Encoding e : encodings) {
      longest = Math.max(longest, e.getIds().length);
    }
    long[] ids = new long[n * longest];
    long[] mask = new long[n * longest];
    long[] types = new long[n * longest];
    for (int i = 0; i < n; i++) {
      Encoding e = encodings.get(i);
      long[] eid = e.getIds();
      long[] em = e.getAttentionMask();
      long[] et = e.getTypeIds();
      System.arraycopy(eid, 0, ids, i * longest, eid.length);
      System.arraycopy(em, 0, mask, i * longest, em.length);
      System.arraycopy(et, 0, types, i * longest, et.length);
    }
    Shape shape = Shape.of(n, longest);
    List<Tensor> tensors = new ArrayList<>();
    for (TensorSpec in : meta.inputs()) {
      long[] values =
          switch (in.name()) {
            case "input_ids" -> ids;
            case "attention_mask" -> mask;
            case "token_type_ids" -> types;
            default ->
                throw StrataException.invalid(
                    "model '%s' takes input '%s', which a text embedding model does not have"
                        + " (expected: input_ids, attention_mask, token_type_ids)",
                    model, in.name());
          };
      tensors.add(
          in.datatype() == DataType.INT32
              ? Tensor.ofInts(in.name(), shape, toInts(values))
              : Tensor.ofLongs(in.name(), shape, values));
    }
    InferenceRequest request =
        new InferenceRequest(
            model, Optional.of(version), "", tensors, List.of(), Map.of(), Optional.empty());
    int length = longest;
    return runtime.infer(request).thenApply(r -> pool(model, r, mask, n, length, pooling));
  }

  /**
   * How a model's token embeddings become one vector, from its configuration's {@code parameters}
   * (as Triton's {@code parameters}, in {@code config.json} or {@code config.pbtxt}): {@code
   * pooling} {@code mean} (over the attention mask; the default, as sentence-transformers' MiniLM),
   * {@code cls} (the first token) or {@code max}; {@code normalize} {@code true} (L2, the default)
   * or {@code false}.
   */
  record Pooling(String mode, boolean normalize) {}

  /** The pooling of a model version, read once with its tokenizer. */
  private Pooling pooling(String model, String version) {
    Map<String, dev.strata.modelconfig.Triton.ModelParameter> p =
        runtime.modelConfig(model, Optional.of(version)).getParametersMap();
    String mode = p.containsKey("pooling") ? p.get("pooling").getStringValue().strip() : "mean";
    if (!java.util.Set.of("mean", "cls", "max").contains(mode)) {
      throw StrataException.invalid(
          "model '%s': parameters pooling '%s' (expected: mean, cls or max)", model, mode);
    }
    String norm = p.containsKey("normalize") ? p.get("normalize").getStringValue().strip() : "true";
    if (!norm.equals("true") && !norm.equals("false")) {
      throw StrataException.invalid(
          "model '%s': parameters normalize '%s' (expected: true or false)", model, norm);
    }
    return new Pooling(mode, norm.equals("true"));
  }

  private static int[] toInts(long[] v) {
    int[] out = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = (int) v[i];
    }
    return out;
  }

  /** The token embeddings pooled over the attention mask as {@code pooling} says. */
  private static List<float[]> pool(
      String model, InferenceResponse r, long[] mask, int n, int length, Pooling pooling) {
    Tensor hidden =
        r.outputs().stream()
            .filter(t -> t.name().equals("last_hidden_state"))
            .findFirst()
            .or(() -> r.outputs().stream().filter(t -> t.shape().rank() == 3).findFirst())
            .orElseThrow(
                () ->
                    StrataException.invalid(
                        "model '%s' has no token embeddings output (last_hidden_state, or one of"
                            + " rank 3)",
                        model));
    int dim = (int) hidden.shape().dim(2);
    float[] h = hidden.floats();
    List<float[]> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      float[] v = new float[dim];
      if (pooling.mode().equals("cls")) {
        System.arraycopy(h, i * length * dim, v, 0, dim);
      } else {
        boolean max = pooling.mode().equals("max");
        if (max) {
          java.util.Arrays.fill(v, Float.NEGATIVE_INFINITY);
        }
        int count = 0;
        for (int t = 0; t < length; t++) {
          if (mask[i * length + t] == 0) {
            continue;
          }
          count++;
          int base = (i * length + t) * dim;
          for (int d = 0; d < dim; d++) {
            v[d] = max ? Math.max(v[d], h[base + d]) : v[d] + h[base + d];
          }
        }
        if (!max) {
          for (int d = 0; d < dim; d++) {
            v[d] /= Math.max(1, count);
          }
        }
      }
      if (pooling.normalize()) {
        double norm = 0;
        for (int d = 0; d < dim; d++) {
          norm += (double) v[d] * v[d];
        }
        float inv = (float) (1 / Math.max(Math.sqrt(norm), 1e-12));
        for (int d = 0; d < dim; d++) {
          v[d] *= inv;
        }
      }
      out.add(v);
    }
    return out;
  }

  private Loaded tokenizer(String model, String version) {
    Loaded l = tokenizers.get(model);
    if (l != null && l.version().equals(version)) {
      return l;
    }
    synchronized (this) {
      l = tokenizers.get(model);
      if (l != null && l.version().equals(version)) {
        return l;
      }
      Pooling pooling = pooling(model, version);
      Path file = tokenizerFile(model, version);
      HuggingFaceTokenizer tok;
      try {
        tok =
            HuggingFaceTokenizer.builder()
                .optTokenizerPath(file)
                .optAddSpecialTokens(true)
                .optPadding(false)
                .optTruncation(false)
                .build();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file, e);
      } catch (RuntimeException e) {
        throw StrataException.invalid(
            "model '%s' version %s: %s is not a tokenizer HuggingFace's tokenizers reads: %s",
            model, version, file, e.getMessage());
      }
      // The model's positions, not the tokenizer's truncation length (a training setting: 128
      // in all-MiniLM-L6-v2's tokenizer.json, whose model takes 512).
      Loaded fresh = new Loaded(version, tok, MAX_TOKENS, pooling);
      Loaded old = tokenizers.put(model, fresh);
      if (old != null) {
        old.tokenizer().close();
      }
      return fresh;
    }
  }

  @Override
  public synchronized void close() {
    tokenizers.values().forEach(l -> l.tokenizer().close());
    tokenizers.clear();
  }
}
