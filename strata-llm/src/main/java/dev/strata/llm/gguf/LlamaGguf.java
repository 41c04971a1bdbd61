package dev.strata.llm.gguf;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A decoder-only transformer of llama.cpp's {@code llama} architecture (RMSNorm, rotary embeddings,
 * SwiGLU feed-forward) written as GGUF: its hyper-parameters, a byte-level BPE tokenizer ({@code
 * gpt2} in GGUF's terms) with the ChatML special tokens and chat template, and the weights under
 * llama.cpp's tensor names.
 *
 * @param name {@code general.name}
 * @param spec the hyper-parameters
 * @param vocabulary the tokenizer
 * @param weights tensors by llama.cpp's names ({@code token_embd.weight}, {@code
 *     blk.N.attn_q.weight}, …), each with its ggml dimensions (innermost first) and values
 */
public record LlamaGguf(
    String name, Spec spec, ByteBpeVocabulary vocabulary, Map<String, Weight> weights) {

  /**
   * The model's hyper-parameters.
   *
   * @param embedding the width of the residual stream
   * @param layers the number of transformer blocks
   * @param heads attention heads
   * @param kvHeads key/value heads (grouped-query attention when fewer than {@code heads})
   * @param feedForward the hidden width of the SwiGLU feed-forward
   * @param context the context length it was trained for
   */
  public record Spec(
      int embedding,
      int layers,
      int heads,
      int kvHeads,
      int feedForward,
      int context,
      float rmsEpsilon,
      float ropeTheta) {
    public Spec {
      if (embedding % heads != 0 || heads % kvHeads != 0) {
        throw new IllegalArgumentException(
            "embedding " + embedding + ", heads " + heads + ", kv heads " + kvHeads);
      }
    }

    public int headDim() {
      return embedding / heads;
    }
  }

  /** One tensor: ggml dimensions (innermost first) and values. */
  public record Weight(long[] dims, float[] values) {}

  /** The ChatML template (llama.cpp recognises it by its markers). */
  public static final String CHATML_TEMPLATE =
      "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' +"
          + " message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt"
          + " %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

  public LlamaGguf {
    requireNonNull(name, "name");
    requireNonNull(spec, "spec");
    requireNonNull(vocabulary, "vocabulary");
    weights = Map.copyOf(weights);
  }

  /**
   * Writes the model as GGUF with its matrices in {@code type} (norm weights stay F32, as
   * llama.cpp's converter keeps them).
   */
  public void write(Path file, GgmlType type) throws IOException {
    GgufWriter w = new GgufWriter();
    w.put("general.architecture", "llama");
    w.put("general.name", name);
    w.putU32("general.file_type", fileType(type));
    w.putU32("llama.context_length", spec.context());
    w.putU32("llama.embedding_length", spec.embedding());
    w.putU32("llama.block_count", spec.layers());
    w.putU32("llama.feed_forward_length", spec.feedForward());
    w.putU32("llama.attention.head_count", spec.heads());
    w.putU32("llama.attention.head_count_kv", spec.kvHeads());
    w.putU32("llama.rope.dimension_count", spec.headDim());
    w.putF32("llama.rope.freq_base", spec.ropeTheta());
    w.putF32("llama.attention.layer_norm_rms_epsilon", spec.rmsEpsilon());
    w.putU32("llama.vocab_size", vocabulary.tokens().size());
    vocabulary.writeTo(w);
    w.put("tokenizer.chat_template", CHATML_TEMPLATE);
    for (String t : tensorOrder(spec.layers())) {
      Weight x = weights.get(t);
      if (x == null) {
        if (t.equals("output.weight")) {
          continue; // tied to token_embd.weight
        }
        throw new IllegalArgumentException("weights: no " + t);
      }
      GgmlType tt =
          x.dims().length == 1 || x.dims()[0] % type.blockSize() != 0 ? GgmlType.F32 : type;
      w.tensor(t, x.dims(), tt, x.values());
    }
    w.write(file);
  }

  private static int fileType(GgmlType t) {
    // llama_ftype: ALL_F32 0, MOSTLY_F16 1, MOSTLY_Q4_0 2, MOSTLY_Q8_0 7
    return switch (t) {
      case F32 -> 0;
      case F16 -> 1;
      case Q4_0 -> 2;
      case Q8_0 -> 7;
    };
  }

  /** llama.cpp's tensor names in the order its converter writes them. */
  public static List<String> tensorOrder(int layers) {
    List<String> names = new ArrayList<>();
    names.add("token_embd.weight");
    for (int l = 0; l < layers; l++) {
      String p = "blk." + l + ".";
      for (String s :
          List.of(
              "attn_norm",
              "attn_q",
              "attn_k",
              "attn_v",
              "attn_output",
              "ffn_norm",
              "ffn_gate",
              "ffn_up",
              "ffn_down")) {
        names.add(p + s + ".weight");
      }
    }
    names.add("output_norm.weight");
    names.add("output.weight");
    return names;
  }

  /**
   * A model of this spec with random weights (normal, scaled by {@code 1/sqrt(fan-in)}) and norm
   * weights of 1: it loads and generates (nonsense) exactly as a trained one, for tests.
   */
  public static LlamaGguf random(String name, Spec spec, ByteBpeVocabulary vocabulary, long seed) {
    Random r = new Random(seed);
    int e = spec.embedding();
    int kv = spec.kvHeads() * spec.headDim();
    int v = vocabulary.tokens().size();
    Map<String, Weight> w = new LinkedHashMap<>();
    w.put("token_embd.weight", normal(r, new long[] {e, v}, 1.0));
    for (int l = 0; l < spec.layers(); l++) {
      String p = "blk." + l + ".";
      w.put(p + "attn_norm.weight", ones(e));
      w.put(p + "attn_q.weight", normal(r, new long[] {e, e}, 1 / Math.sqrt(e)));
      w.put(p + "attn_k.weight", normal(r, new long[] {e, kv}, 1 / Math.sqrt(e)));
      w.put(p + "attn_v.weight", normal(r, new long[] {e, kv}, 1 / Math.sqrt(e)));
      w.put(p + "attn_output.weight", normal(r, new long[] {e, e}, 1 / Math.sqrt(e)));
      w.put(p + "ffn_norm.weight", ones(e));
      int f = spec.feedForward();
      w.put(p + "ffn_gate.weight", normal(r, new long[] {e, f}, 1 / Math.sqrt(e)));
      w.put(p + "ffn_up.weight", normal(r, new long[] {e, f}, 1 / Math.sqrt(e)));
      w.put(p + "ffn_down.weight", normal(r, new long[] {f, e}, 1 / Math.sqrt(f)));
    }
    w.put("output_norm.weight", ones(e));
    w.put("output.weight", normal(r, new long[] {e, v}, 1 / Math.sqrt(e)));
    return new LlamaGguf(name, spec, vocabulary, w);
  }

  private static Weight normal(Random r, long[] dims, double std) {
    float[] x = new float[(int) (dims[0] * dims[1])];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (r.nextGaussian() * std);
    }
    return new Weight(dims, x);
  }

  private static Weight ones(int n) {
    float[] x = new float[n];
    java.util.Arrays.fill(x, 1f);
    return new Weight(new long[] {n}, x);
  }
}
