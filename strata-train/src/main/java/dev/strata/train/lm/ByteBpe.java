package dev.strata.train.lm;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.core.AtomicFiles;
import dev.strata.llm.gguf.ByteBpeVocabulary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte-level BPE as GPT-2 defines it: fitted here (no Java library fits one), applied by
 * HuggingFace's tokenizers through the {@code tokenizer.json} this writes, and by llama.cpp through
 * the same vocabulary in the GGUF ({@code tokenizer.ggml.pre = gpt-2}: the same pre-tokenizer).
 *
 * <p>Fitting: the text is split by GPT-2's pre-tokenizer pattern, each piece's UTF-8 bytes become
 * byte symbols, and the most frequent adjacent pair (ties: the smaller pair of strings) is merged
 * until the vocabulary is full. A pair whose merge would spell a token that already exists is
 * skipped, so every token is distinct.
 */
public final class ByteBpe {
  /** GPT-2's pre-tokenizer, as HuggingFace's ByteLevel and llama.cpp's {@code gpt-2} apply it. */
  static final Pattern PRE_TOKENIZER =
      Pattern.compile(
          "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

  private ByteBpe() {}

  /** The merges of a vocabulary of {@code vocabSize} tokens fitted on {@code documents}. */
  public static List<String> fit(List<String> documents, int vocabSize) {
    int wanted = vocabSize - LanguageModelSpec.BASE_TOKENS;
    String[] bytes = ByteBpeVocabulary.byteCharacters();
    List<String> symbols = new ArrayList<>(List.of(bytes));
    Set<String> known = new HashSet<>(symbols);
    Map<String, Integer> counts = new HashMap<>();
    for (String d : documents) {
      Matcher m = PRE_TOKENIZER.matcher(d);
      while (m.find()) {
        counts.merge(m.group(), 1, Integer::sum);
      }
    }
    List<int[]> words = new ArrayList<>();
    List<Integer> freq = new ArrayList<>();
    counts.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(
            e -> {
              byte[] b = e.getKey().getBytes(StandardCharsets.UTF_8);
              int[] w = new int[b.length];
              for (int i = 0; i < b.length; i++) {
                w[i] = b[i] & 0xff;
              }
              words.add(w);
              freq.add(e.getValue());
            });
    List<String> merges = new ArrayList<>();
    Set<Long> skipped = new HashSet<>();
    while (merges.size() < wanted) {
      Map<Long, Long> pairs = new HashMap<>();
      for (int i = 0; i < words.size(); i++) {
        int[] w = words.get(i);
        for (int j = 0; j + 1 < w.length; j++) {
          pairs.merge(pair(w[j], w[j + 1]), (long) freq.get(i), Long::sum);
        }
      }
      long best = -1;
      long bestCount = 0;
      for (Map.Entry<Long, Long> e : pairs.entrySet()) {
        long p = e.getKey();
        long c = e.getValue();
        if (skipped.contains(p)) {
          continue;
        }
        if (c > bestCount || (c == bestCount && smaller(symbols, p, best))) {
          best = p;
          bestCount = c;
        }
      }
      if (best < 0 || bestCount < 2) {
        break; // nothing left worth merging: the vocabulary stays smaller
      }
      int a = (int) (best >>> 32);
      int b = (int) best;
      String joined = symbols.get(a) + symbols.get(b);
      if (!known.add(joined)) {
        skipped.add(best);
        continue;
      }
      int id = symbols.size();
      symbols.add(joined);
      merges.add(symbols.get(a) + " " + symbols.get(b));
      for (int i = 0; i < words.size(); i++) {
        words.set(i, replace(words.get(i), a, b, id));
      }
    }
    return merges;
  }

  private static long pair(int a, int b) {
    return ((long) a << 32) | (b & 0xffffffffL);
  }

  private static boolean smaller(List<String> symbols, long p, long than) {
    if (than < 0) {
      return true;
    }
    int c = symbols.get((int) (p >>> 32)).compareTo(symbols.get((int) (than >>> 32)));
    if (c != 0) {
      return c < 0;
    }
    return symbols.get((int) p).compareTo(symbols.get((int) than)) < 0;
  }

  private static int[] replace(int[] w, int a, int b, int id) {
    int n = 0;
    int[] out = null;
    for (int j = 0; j < w.length; j++) {
      if (j + 1 < w.length && w[j] == a && w[j + 1] == b) {
        if (out == null) {
          out = new int[w.length - 1];
          System.arraycopy(w, 0, out, 0, j);
          n = j;
        }
        out[n++] = id;
        j++;
      } else if (out != null) {
        out[n++] = w[j];
      }
    }
    return out == null ? w : java.util.Arrays.copyOf(out, n);
  }

  /**
   * Writes {@code vocabulary} as HuggingFace's {@code tokenizer.json}: a BPE model over GPT-2's
   * byte-level pre-tokenizer and decoder, the ChatML tokens as special added tokens, no normaliser,
   * no post-processor (nothing is added to a text).
   */
  public static void writeTokenizerJson(ByteBpeVocabulary vocabulary, Path file)
      throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    for (int id : vocabulary.specials()) {
      ObjectNode t = added.addObject();
      t.put("id", id);
      t.put("content", vocabulary.tokens().get(id));
      t.put("single_word", false);
      t.put("lstrip", false);
      t.put("rstrip", false);
      t.put("normalized", false);
      t.put("special", true);
    }
    root.putNull("normalizer");
    ObjectNode pre = root.putObject("pre_tokenizer");
    pre.put("type", "ByteLevel");
    pre.put("add_prefix_space", false);
    pre.put("trim_offsets", true);
    pre.put("use_regex", true);
    root.putNull("post_processor");
    ObjectNode dec = root.putObject("decoder");
    dec.put("type", "ByteLevel");
    dec.put("add_prefix_space", false);
    dec.put("trim_offsets", true);
    dec.put("use_regex", true);
    ObjectNode model = root.putObject("model");
    model.put("type", "BPE");
    model.putNull("dropout");
    model.putNull("unk_token");
    model.putNull("continuing_subword_prefix");
    model.putNull("end_of_word_suffix");
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    ObjectNode vocab = model.putObject("vocab");
    for (int i = 0; i < vocabulary.tokens().size(); i++) {
      vocab.put(vocabulary.tokens().get(i), i);
    }
    ArrayNode merges = model.putArray("merges");
    vocabulary.merges().forEach(merges::add);
    AtomicFiles.write(file, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
  }

  /** HuggingFace's tokenizer over a {@code tokenizer.json}, adding nothing to a text. */
  public static HuggingFaceTokenizer open(Path tokenizerJson) throws IOException {
    return HuggingFaceTokenizer.newInstance(
        tokenizerJson,
        Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
  }
}
