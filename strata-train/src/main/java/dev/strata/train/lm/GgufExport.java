package dev.strata.train.lm;

import dev.strata.core.AtomicFiles;
import dev.strata.core.StrataException;
import dev.strata.llm.generate.GenerationRequest;
import dev.strata.llm.generate.LlamaEngine;
import dev.strata.llm.gguf.GgmlType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;

/**
 * Writes a trained language model as GGUF and checks it in llama.cpp before it is put in place: on
 * every check prompt llama.cpp must tokenize as the model's own tokenizer does, and its greedy
 * continuation must equal DJL's token for token in F32; for F16, Q8_0 and Q4_0 the agreement is
 * measured and reported (quantization may change a close choice). A failed check writes nothing.
 */
public final class GgufExport {
  /** Prompts used when no others are given. */
  public static final List<String> DEFAULT_PROMPTS =
      List.of("The", "A man who", "In the", "It is", "What");

  /** Greedy tokens compared per prompt. */
  public static final int CHECK_TOKENS = 24;

  /**
   * The check's outcome.
   *
   * @param prompts prompts checked
   * @param identical prompts whose llama.cpp continuation equals DJL's
   * @param tokenAgreement the share of DJL's greedy tokens that llama.cpp reproduced, position by
   *     position (the text compared per token piece)
   * @param bytes the GGUF file's size
   */
  public record Report(int prompts, int identical, double tokenAgreement, long bytes) {}

  private GgufExport() {}

  public static Report export(
      TrainedLanguageModel model, GgmlType type, Path out, List<String> prompts, int threads)
      throws IOException {
    if (prompts.isEmpty()) {
      throw StrataException.invalid("no prompts to check the export on");
    }
    Path parent = out.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path tmp = Files.createTempFile(parent, ".export-", ".gguf");
    boolean done = false;
    try {
      model.toGguf().write(tmp, type);
      int ctx = model.spec().model().context();
      int identical = 0;
      long agreed = 0;
      long compared = 0;
      try (LlamaEngine engine =
          LlamaEngine.open(tmp, new LlamaEngine.Options(1, ctx, Math.max(1, threads), 1))) {
        for (String prompt : prompts) {
          int[] ids = model.encode(prompt);
          int[] theirs = engine.tokenize(prompt);
          if (!Arrays.equals(ids, theirs)) {
            throw new StrataException(
                dev.strata.core.ErrorCode.INTERNAL,
                "export check: llama.cpp tokenizes '"
                    + prompt
                    + "' as "
                    + Arrays.toString(theirs)
                    + ", the model's tokenizer as "
                    + Arrays.toString(ids));
          }
          int max = Math.min(CHECK_TOKENS, ctx - ids.length - 1);
          int[] djl = model.greedy(ids, max);
          String expected = model.decode(djl);
          String got = generate(engine, prompt, max);
          if (expected.equals(got)) {
            identical++;
          }
          // per-token agreement: how many of DJL's token pieces llama.cpp's text reproduced
          int pos = 0;
          for (int id : djl) {
            String piece = model.decode(new int[] {id});
            if (got.startsWith(piece, pos)) {
              agreed++;
              pos += piece.length();
            } else {
              break;
            }
          }
          compared += djl.length;
          if (type == GgmlType.F32 && !expected.equals(got)) {
            throw new StrataException(
                dev.strata.core.ErrorCode.INTERNAL,
                "export check: on '"
                    + prompt
                    + "' DJL continues '"
                    + expected
                    + "' but llama.cpp '"
                    + got
                    + "'; nothing written");
          }
        }
      }
      AtomicFiles.moveIntoPlace(tmp, out);
      done = true;
      return new Report(
          prompts.size(),
          identical,
          compared == 0 ? 1.0 : (double) agreed / compared,
          Files.size(out));
    } finally {
      if (!done) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  /** llama.cpp's greedy continuation of {@code prompt}. */
  static String generate(LlamaEngine engine, String prompt, int max) {
    return engine.complete(
        new GenerationRequest(prompt, Math.max(1, max), 0, 1, OptionalLong.of(1), List.of()),
        java.time.Duration.ofMinutes(2));
  }
}
