package dev.strata.bench.llm;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.control.Json;
import dev.strata.core.AtomicFiles;
import dev.strata.llm.generate.GenerationRequest;
import dev.strata.llm.generate.LlamaEngine;
import dev.strata.train.lm.TextCorpus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * How well language models continue held-out text, whatever their tokenizers: from the corpus's
 * held-out documents (those training never saw), seeded passages of {@code --prompt-words} words
 * are given as prompts and each model's greedy continuation (llama.cpp, the GGUF as served) is
 * compared word by word with the text's next {@code --words} words: word accuracy (position by
 * position) and exact match (all of them). One JSON line per model.
 */
@Command(name = "continuation-quality", mixinStandardHelpOptions = true)
public final class ContinuationQuality implements Callable<Integer> {
  @Option(names = "--corpus", defaultValue = "kjv", description = "The training corpus.")
  Path corpus;

  @Option(
      names = "--write",
      paramLabel = "FILE",
      description =
          "Write the passages as JSON lines {\"prompt\", \"reference\"} (strata calibrate"
              + " --prompts) instead of running models.")
  Path write;

  @Option(names = "--model", description = "NAME=FILE.gguf (repeatable): the models compared.")
  Map<String, Path> models = new LinkedHashMap<>();

  @Option(names = "--prompts", defaultValue = "200")
  int prompts;

  @Option(names = "--prompt-words", defaultValue = "24")
  int promptWords;

  @Option(names = "--words", defaultValue = "4", description = "Words compared per prompt.")
  int words;

  @Option(names = "--seed", defaultValue = "1")
  long seed;

  @Option(names = "--threads", defaultValue = "2")
  int threads;

  public static void main(String[] args) {
    System.exit(new CommandLine(new ContinuationQuality()).execute(args));
  }

  record Passage(String prompt, List<String> reference) {}

  @Override
  public Integer call() throws Exception {
    List<String> held = TextCorpus.load(corpus).heldOut();
    Random r = new Random(seed);
    List<Passage> passages = new ArrayList<>();
    while (passages.size() < prompts) {
      String[] w = held.get(r.nextInt(held.size())).split("\\s+");
      if (w.length < promptWords + words + 1) {
        continue;
      }
      int from = r.nextInt(w.length - promptWords - words);
      passages.add(
          new Passage(
              String.join(" ", List.of(w).subList(from, from + promptWords)),
              List.of(w).subList(from + promptWords, from + promptWords + words)));
    }
    if (write != null) {
      StringBuilder sb = new StringBuilder();
      for (Passage p : passages) {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("prompt", p.prompt());
        o.put("reference", String.join(" ", p.reference()));
        sb.append(o).append('\n');
      }
      AtomicFiles.write(write, sb.toString().getBytes(StandardCharsets.UTF_8));
      return 0;
    }
    if (models.isEmpty()) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--model NAME=FILE.gguf is required (or --write FILE)");
    }
    for (Map.Entry<String, Path> m : models.entrySet()) {
      try (LlamaEngine engine =
          LlamaEngine.open(m.getValue(), new LlamaEngine.Options(1, 128, threads, 1))) {
        long matched = 0;
        int exact = 0;
        long t0 = System.nanoTime();
        for (Passage p : passages) {
          String out =
              engine.complete(
                  new GenerationRequest(
                      p.prompt(), 4 * words + 4, 0, 1, OptionalLong.of(1), List.of()),
                  Duration.ofMinutes(1));
          String[] got = out.strip().split("\\s+");
          int ok = 0;
          for (int i = 0; i < words && i < got.length; i++) {
            if (got[i].equals(p.reference().get(i))) {
              ok++;
            }
          }
          matched += ok;
          exact += ok == words ? 1 : 0;
        }
        System.out.printf(
            Locale.ROOT,
            "{\"model\":\"%s\",\"prompts\":%d,\"words\":%d,\"word_accuracy\":%.4f,"
                + "\"exact_match\":%.4f,\"seconds\":%.1f}%n",
            m.getKey(),
            passages.size(),
            words,
            (double) matched / ((long) words * passages.size()),
            (double) exact / passages.size(),
            (System.nanoTime() - t0) / 1e9);
      }
    }
    return 0;
  }
}
