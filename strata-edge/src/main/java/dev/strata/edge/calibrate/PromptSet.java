package dev.strata.edge.calibrate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.control.Json;
import dev.strata.core.StrataException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Prompts with reference continuations, for a language-model cascade: JSON lines {@code {"prompt":
 * "...", "reference": "..."}}.
 */
public record PromptSet(List<PromptSet.Prompt> prompts) {
  /** One prompt and the continuation it should get. */
  public record Prompt(String prompt, String reference) {}

  public PromptSet {
    prompts = List.copyOf(prompts);
    if (prompts.isEmpty()) {
      throw StrataException.invalid("prompt set: empty (expected: at least one prompt)");
    }
  }

  public int size() {
    return prompts.size();
  }

  /** The first {@code n} prompts. */
  public PromptSet limit(int n) {
    return n >= size() ? this : new PromptSet(prompts.subList(0, n));
  }

  /** Reads JSON lines; a line that is not a prompt with a reference is an error naming it. */
  public static PromptSet read(Path file) throws IOException {
    List<Prompt> out = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int no = 0;
      while ((line = r.readLine()) != null) {
        no++;
        if (line.isBlank()) {
          continue;
        }
        JsonNode n;
        try {
          n = Json.mapper().readTree(line);
        } catch (IOException e) {
          throw StrataException.invalid("%s line %d: not JSON (%s)", file, no, e.getMessage());
        }
        if (!n.path("prompt").isTextual() || !n.path("reference").isTextual()) {
          throw StrataException.invalid(
              "%s line %d: expected {\"prompt\": \"...\", \"reference\": \"...\"}", file, no);
        }
        out.add(new Prompt(n.get("prompt").asText(), n.get("reference").asText()));
      }
    }
    return new PromptSet(out);
  }

  /**
   * The quality of {@code answer} against {@code reference} over the reference's first {@code
   * words} words (split at white space): the share of them the answer has at the same position
   * ({@code exact} false), or 1 when it has all of them and else 0 ({@code exact} true).
   */
  public static double quality(String answer, String reference, int words, boolean exact) {
    String[] a = answer.strip().split("\\s+");
    String[] ref = reference.strip().split("\\s+");
    int n = Math.min(words, ref.length);
    if (n == 0 || ref[0].isEmpty()) {
      return 1;
    }
    int same = 0;
    for (int i = 0; i < n && i < a.length; i++) {
      if (a[i].equals(ref[i])) {
        same++;
      }
    }
    return exact ? (same == n ? 1 : 0) : (double) same / n;
  }
}
