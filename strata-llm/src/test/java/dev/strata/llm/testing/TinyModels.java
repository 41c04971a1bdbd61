package dev.strata.llm.testing;

import dev.strata.llm.gguf.ByteBpeVocabulary;
import dev.strata.llm.gguf.GgmlType;
import dev.strata.llm.gguf.LlamaGguf;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/** Small random-weight llama models written as GGUF, for tests. */
public final class TinyModels {
  /** 2 layers, width 64, 4 heads (2 key/value heads), context 256. */
  public static final LlamaGguf.Spec SPEC =
      new LlamaGguf.Spec(64, 2, 4, 2, 128, 256, 1e-5f, 10000f);

  private TinyModels() {}

  /** The tiny model of {@code seed}, written to {@code file} as {@code type}. */
  public static Path write(Path file, long seed, GgmlType type) {
    ByteBpeVocabulary vocabulary = ByteBpeVocabulary.of(List.of("t h", "e r", "i n"));
    try {
      LlamaGguf.random("tiny-" + seed, SPEC, vocabulary, seed).write(file, type);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }
}
