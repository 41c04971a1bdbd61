package dev.strata.bench.llm;

import dev.strata.llm.generate.GenerationListener;
import dev.strata.llm.generate.GenerationRequest;
import dev.strata.llm.generate.LlamaEngine;
import dev.strata.llm.gguf.ByteBpeVocabulary;
import dev.strata.llm.gguf.GgmlType;
import dev.strata.llm.gguf.LlamaGguf;
import dev.strata.runtime.RuntimeConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Generation throughput of a language model: completion tokens per second with 1, 4 and 8
 * concurrent streams, driven in-process through the binding ({@link LlamaEngine}) and through the
 * server's OpenAI API (streamed completions over HTTP, in the same JVM so both run on the same
 * cores), plus 8 requests one after another on one sequence (no continuous batching). The model is
 * a random-weight llama of the given size written by Strata (speed does not depend on the weights);
 * every generation makes exactly {@code --tokens} tokens (the end-of-sequence token is banned by
 * logit bias). One JSON line per run.
 */
@Command(name = "generation-bench", mixinStandardHelpOptions = true)
public final class GenerationBench implements Callable<Integer> {
  @Option(names = "--dir", required = true, description = "Where the model and repository go.")
  Path dir;

  @Option(names = "--width", defaultValue = "384")
  int width;

  @Option(names = "--layers", defaultValue = "6")
  int layers;

  @Option(names = "--tokens", defaultValue = "64", description = "Tokens per generation.")
  int tokens;

  @Option(names = "--rounds", defaultValue = "2", description = "Generations per stream per run.")
  int rounds;

  @Option(names = "--threads", defaultValue = "2")
  int threads;

  @Option(names = "--smoke", description = "A tiny model and few tokens (a check the bench runs).")
  boolean smoke;

  public static void main(String[] args) {
    int rc = new CommandLine(new GenerationBench()).execute(args);
    System.exit(rc); // llama.cpp's binding leaves a native thread behind
  }

  private static final ByteBpeVocabulary VOCABULARY = ByteBpeVocabulary.of(List.of("t h", "e r"));
  private static final Map<Integer, Double> BAN = ban();

  /** Bytes outside printable ASCII and the special tokens: one character per token, no end. */
  private static Map<Integer, Double> ban() {
    Map<Integer, Double> b = new HashMap<>();
    for (int id = 0; id < VOCABULARY.tokens().size(); id++) {
      if (id < 0x20 || id >= 0x7f) {
        b.put(id, -100.0);
      }
    }
    return b;
  }

  /** One thread per stream (the common pool has one thread on two cores). */
  private final java.util.concurrent.ExecutorService clients =
      java.util.concurrent.Executors.newCachedThreadPool(
          Thread.ofPlatform().name("bench-stream-", 0).daemon(true).factory());

  @Override
  public Integer call() throws Exception {
    if (smoke) {
      width = 64;
      layers = 2;
      tokens = 8;
      rounds = 1;
    }
    Path repo = dir.resolve("repo");
    Path file = repo.resolve("lm/1/model.gguf");
    Files.createDirectories(file.getParent());
    LlamaGguf.Spec spec =
        new LlamaGguf.Spec(
            width, layers, width / 64, width / 64, width * 8 / 3 / 32 * 32, 1024, 1e-5f, 10000f);
    LlamaGguf.random("bench", spec, VOCABULARY, 1).write(file, GgmlType.F16);
    System.err.printf(
        Locale.ROOT, "model: width %d, %d layers, %d MB%n", width, layers, Files.size(file) >> 20);

    // sequential: one sequence, 8 requests one after another
    try (LlamaEngine one = LlamaEngine.open(file, new LlamaEngine.Options(1, 512, threads, 16))) {
      warm(one);
      long t0 = System.nanoTime();
      long n = 0;
      for (int i = 0; i < 8; i++) {
        n += inProcess(one, "seq " + i).join();
      }
      report("in-process-sequential", 1, n, System.nanoTime() - t0);
    }
    try (LlamaEngine eight = LlamaEngine.open(file, new LlamaEngine.Options(8, 512, threads, 16))) {
      warm(eight);
      for (int streams : new int[] {1, 4, 8}) {
        long t0 = System.nanoTime();
        List<CompletableFuture<Long>> all = new ArrayList<>();
        for (int s = 0; s < streams; s++) {
          int id = s;
          all.add(
              CompletableFuture.supplyAsync(
                  () -> {
                    long n = 0;
                    for (int r = 0; r < rounds; r++) {
                      n += inProcess(eight, "stream " + id + " round " + r).join();
                    }
                    return n;
                  },
                  clients));
        }
        long n = all.stream().mapToLong(CompletableFuture::join).sum();
        report("in-process", streams, n, System.nanoTime() - t0);
      }
    }
    System.setProperty("strata.llm.parallel", "8");
    System.setProperty("strata.llm.context", "512");
    try (LocalOpenAiServer server = LocalOpenAiServer.start(RuntimeConfig.builder(repo));
        HttpClient http = HttpClient.newHttpClient()) {
      URI uri = server.uri("/v1/completions");
      overHttp(http, uri, "warm");
      for (int streams : new int[] {1, 4, 8}) {
        long t0 = System.nanoTime();
        List<CompletableFuture<Long>> all = new ArrayList<>();
        for (int s = 0; s < streams; s++) {
          int id = s;
          all.add(
              CompletableFuture.supplyAsync(
                  () -> {
                    long n = 0;
                    for (int r = 0; r < rounds; r++) {
                      n += overHttp(http, uri, "stream " + id + " round " + r);
                    }
                    return n;
                  },
                  clients));
        }
        long n = all.stream().mapToLong(CompletableFuture::join).sum();
        report("server", streams, n, System.nanoTime() - t0);
      }
    }
    return 0;
  }

  private void warm(LlamaEngine e) {
    inProcess(e, "warm up").join();
  }

  private CompletableFuture<Long> inProcess(LlamaEngine e, String prompt) {
    CompletableFuture<Long> f = new CompletableFuture<>();
    AtomicLong count = new AtomicLong();
    e.generate(
        new GenerationRequest(prompt, tokens, 0, 1, OptionalLong.of(1), List.of(), BAN),
        new GenerationListener() {
          @Override
          public boolean token(String text) {
            return true;
          }

          @Override
          public void completed(FinishReason reason, int p, int c) {
            f.complete((long) c);
          }

          @Override
          public void failed(Throwable cause) {
            f.completeExceptionally(cause);
          }
        });
    return f;
  }

  private long overHttp(HttpClient http, URI uri, String prompt) {
    StringBuilder bias = new StringBuilder("{");
    BAN.keySet()
        .forEach(
            k -> bias.append(bias.length() > 1 ? "," : "").append('"').append(k).append("\":-100"));
    bias.append('}');
    String body =
        String.format(
            Locale.ROOT,
            "{\"model\":\"lm\",\"prompt\":\"%s\",\"max_tokens\":%d,\"temperature\":0,\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true},\"logit_bias\":%s}",
            prompt,
            tokens,
            bias);
    try {
      HttpResponse<java.util.stream.Stream<String>> r =
          http.send(
              HttpRequest.newBuilder(uri)
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofLines());
      long[] usage = {0};
      if (r.statusCode() != 200) {
        throw new IllegalStateException(
            "HTTP " + r.statusCode() + ": " + String.join("\n", r.body().toList()));
      }
      r.body()
          .filter(l -> l.contains("\"usage\""))
          .forEach(
              l -> {
                int i = l.indexOf("\"completion_tokens\":");
                usage[0] = Long.parseLong(l.substring(i + 20).split("[,}]")[0]);
              });
      return usage[0];
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void report(String kind, int streams, long tokens, long nanos) {
    System.out.printf(
        Locale.ROOT,
        "{\"kind\":\"%s\",\"streams\":%d,\"tokens\":%d,\"seconds\":%.2f,\"tokens_per_s\":%.1f}%n",
        kind,
        streams,
        tokens,
        nanos / 1e9,
        tokens / (nanos / 1e9));
  }
}
