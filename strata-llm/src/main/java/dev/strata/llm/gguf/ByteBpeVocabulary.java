package dev.strata.llm.gguf;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A byte-level BPE vocabulary as GGUF stores it ({@code tokenizer.ggml.model = gpt2}): the 256
 * bytes, each as the printable character GPT-2's byte-to-unicode table maps it to, then the merged
 * tokens in merge order, then the special tokens; merges as {@code "left right"} pairs of such
 * strings.
 *
 * @param tokens every token, its id its index
 * @param merges the merge rules, highest priority first
 * @param specials the special tokens' ids ({@code <|im_start|>}, {@code <|im_end|>}, …)
 * @param eos the end-of-sequence token's id
 */
public record ByteBpeVocabulary(
    List<String> tokens, List<String> merges, List<Integer> specials, int eos) {
  public static final String IM_START = "<|im_start|>";
  public static final String IM_END = "<|im_end|>";

  public ByteBpeVocabulary {
    tokens = List.copyOf(tokens);
    merges = List.copyOf(merges);
    specials = List.copyOf(specials);
  }

  /** GPT-2's printable character for each byte. */
  public static String[] byteCharacters() {
    List<Integer> printable = new ArrayList<>();
    for (int i = '!'; i <= '~'; i++) {
      printable.add(i);
    }
    for (int i = 0xA1; i <= 0xAC; i++) {
      printable.add(i);
    }
    for (int i = 0xAE; i <= 0xFF; i++) {
      printable.add(i);
    }
    Map<Integer, Integer> map = new HashMap<>();
    for (int b : printable) {
      map.put(b, b);
    }
    int extra = 0;
    String[] out = new String[256];
    for (int b = 0; b < 256; b++) {
      Integer c = map.get(b);
      if (c == null) {
        c = 256 + extra++;
      }
      out[b] = new String(Character.toChars(c));
    }
    return out;
  }

  /**
   * The vocabulary of {@code merges} (pairs of byte-level strings) over the 256 bytes, with the
   * ChatML special tokens; {@code <|im_end|>} ends a sequence.
   */
  public static ByteBpeVocabulary of(List<String> merges) {
    List<String> tokens = new ArrayList<>(List.of(byteCharacters()));
    for (String m : merges) {
      int space = m.indexOf(' ');
      if (space <= 0 || space == m.length() - 1) {
        throw new IllegalArgumentException("merge '" + m + "' (expected: 'left right')");
      }
      tokens.add(m.substring(0, space) + m.substring(space + 1));
    }
    int start = tokens.size();
    tokens.add(IM_START);
    tokens.add(IM_END);
    return new ByteBpeVocabulary(tokens, merges, List.of(start, start + 1), start + 1);
  }

  void writeTo(GgufWriter w) {
    w.put("tokenizer.ggml.model", "gpt2");
    w.put("tokenizer.ggml.pre", "gpt-2");
    w.putStrings("tokenizer.ggml.tokens", tokens);
    int[] types = new int[tokens.size()];
    java.util.Arrays.fill(types, 1); // NORMAL
    for (int s : specials) {
      types[s] = 3; // CONTROL
    }
    w.putI32s("tokenizer.ggml.token_type", types);
    w.putStrings("tokenizer.ggml.merges", merges);
    w.putU32("tokenizer.ggml.eos_token_id", eos);
    w.putU32("tokenizer.ggml.bos_token_id", specials.getFirst());
    w.putBool("tokenizer.ggml.add_bos_token", false);
  }
}
