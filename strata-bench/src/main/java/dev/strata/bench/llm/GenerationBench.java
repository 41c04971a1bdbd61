package dev.strata.bench.llm;

import static dev.strata.bench.BenchStats.median;

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
 * server's OpenAI API (streamed completions over HTTP from curl processes, or from java.net.http in
 * this JVM; on the same cores either way), plus 8 requests one after another on one sequence (no
 * continuous batching). The three are loaded together and measured in turn, {@code --runs} times,
 * after a warm-up; medians and ratios at the end. The model is a random-weight llama of the given
 * size written by Strata (speed does not depend on the weights); every generation makes exactly
 * {@code --tokens} tokens (the end-of-sequence token is banned by logit bias). One JSON line per
 * run.
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

  @Option(
      names = "--rounds",
      defaultValue = "2",
      description =
          "Generations per stream per run at 8 streams; every run makes 8 x this many (1 stream:"
              + " 8 x rounds one after another), so that each run lasts about as long.")
  int rounds;

  @Option(names = "--threads", defaultValue = "2")
  int threads;

  @Option(
      names = "--runs",
      defaultValue = "3",
      description =
          "Interleaved runs: sequential, then in-process and server at each stream count.")
  int runs;

  @Option(
      names = "--client",
      defaultValue = "auto",
      description =
          "The server's clients: curl (one curl process per stream, outside this JVM, as a user's"
              + " client is), jdk (java.net.http in this JVM), or auto: curl where it is"
              + " installed.")
  String client;

  @Option(names = "--smoke", description = "A tiny model and few tokens (a check the bench runs).")
  boolean smoke;

  public static void main(String[] args) {
    int rc = new CommandLine(new GenerationBench()).execute(args);
    System.exit(rc); // llama.cpp's binding leaves a native thread behind
  }

  private static final ByteBpeVocabulary VOCABULARY = ByteBpeVocabulary.of(List.of("t h", "e r"));
  private static final Map<Integer, Double> BAN = ban();
  private static final int[] STREAMS = {1, 4, 8};

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

  /** Tokens per second of every reported run, by kind and stream count. */
  private final Map<String, List<Double>> results = new java.util.TreeMap<>();

  @Override
  public Integer call() throws Exception {
    if (smoke) {
      width = 64;
      layers = 2;
      tokens = 8;
      rounds = 1;
      runs = 1;
    }
    if (client.equals("auto")) {
      client = onPath("curl") ? "curl" : "jdk";
      System.err.println("clients: " + client + (client.equals("jdk") ? " (no curl here)" : ""));
    }
    if (!client.equals("curl") && !client.equals("jdk")) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--client: " + client + " (expected: curl, jdk or auto)");
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

    System.setProperty("strata.llm.parallel", "8");
    System.setProperty("strata.llm.context", "512");
    // all three loaded at once and run in turn, so that a drifting machine disturbs each alike
    try (LlamaEngine one = LlamaEngine.open(file, new LlamaEngine.Options(1, 512, threads, 16));
        LlamaEngine eight = LlamaEngine.open(file, new LlamaEngine.Options(8, 512, threads, 16));
        LocalOpenAiServer server = LocalOpenAiServer.start(RuntimeConfig.builder(repo));
        HttpClient http = HttpClient.newHttpClient()) {
      URI uri = server.uri("/v1/completions");
      // warm-up (not reported): the JIT compiles the server's and the clients' paths
      sequential(one, false);
      for (int streams : smoke ? new int[] {1} : STREAMS) {
        inProcess(eight, streams, false);
        overServer(http, uri, streams, false);
      }
      for (int run = 1; run <= runs; run++) {
        sequential(one, true);
        for (int streams : STREAMS) {
          inProcess(eight, streams, true);
          overServer(http, uri, streams, true);
        }
      }
    }
    for (int streams : STREAMS) {
      double in = median(results.get("in-process/" + streams));
      double over = median(results.get("server/" + streams));
      System.out.printf(
          Locale.ROOT,
          "{\"kind\":\"summary\",\"streams\":%d,\"runs\":%d,\"in_process_median\":%.1f,"
              + "\"server_median\":%.1f,\"ratio\":%.3f,\"client\":\"%s\"}%n",
          streams,
          runs,
          in,
          over,
          over / in,
          client);
    }
    double seq = median(results.get("in-process-sequential/1"));
    double batched = median(results.get("in-process/8"));
    System.out.printf(
        Locale.ROOT,
        "{\"kind\":\"batching\",\"sequential_median\":%.1f,\"in_process_8_median\":%.1f,"
            + "\"ratio\":%.3f}%n",
        seq,
        batched,
        batched / seq);
    return 0;
  }

  static boolean onPath(String command) {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String d : path.split(java.io.File.pathSeparator)) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, command))) {
        return true;
      }
    }
    return false;
  }

  /** 8 requests one after another on one sequence. */
  private void sequential(LlamaEngine one, boolean reported) {
    long t0 = System.nanoTime();
    long n = 0;
    for (int i = 0; i < 8; i++) {
      n += inProcess(one, "seq " + i).join();
    }
    if (reported) {
      report("in-process-sequential", 1, n, System.nanoTime() - t0);
    }
  }

  private void inProcess(LlamaEngine eight, int streams, boolean reported) {
    concurrently(
        "in-process",
        streams,
        reported,
        id -> {
          long n = 0;
          for (int r = 0; r < roundsAt(streams); r++) {
            n += inProcess(eight, "stream " + id + " round " + r).join();
          }
          return n;
        });
  }

  private void overServer(HttpClient http, URI uri, int streams, boolean reported) {
    concurrently(
        "server",
        streams,
        reported,
        id -> {
          if (client.equals("curl")) {
            return overCurl(uri, id, roundsAt(streams));
          }
          long n = 0;
          for (int r = 0; r < roundsAt(streams); r++) {
            n += overHttp(http, uri, "stream " + id + " round " + r);
          }
          return n;
        });
  }

  /** {@code streams} streams at once, each one's tokens from {@code stream}; the run reported. */
  private void concurrently(
      String kind, int streams, boolean reported, java.util.function.IntToLongFunction stream) {
    long t0 = System.nanoTime();
    List<CompletableFuture<Long>> all = new ArrayList<>();
    for (int s = 0; s < streams; s++) {
      int id = s;
      all.add(CompletableFuture.supplyAsync(() -> stream.applyAsLong(id), clients));
    }
    long n = all.stream().mapToLong(CompletableFuture::join).sum();
    if (reported) {
      report(kind, streams, n, System.nanoTime() - t0);
    }
  }

  /** Generations per stream in a run of {@code streams}: the same total at every count. */
  private int roundsAt(int streams) {
    return Math.max(1, rounds * 8 / streams);
  }

  /**
   * One stream's rounds as one curl process (its requests one after another on one connection,
   * {@code --next}): the completion tokens its usage chunks count.
   */
  private long overCurl(URI uri, int id, int rounds) {
    try {
      List<String> cmd = new ArrayList<>(List.of("curl"));
      List<Path> outs = new ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        Path body = dir.resolve("body-" + id + "-" + r + ".json");
        Path out = dir.resolve("out-" + id + "-" + r + ".txt");
        Files.writeString(body, requestBody("stream " + id + " round " + r));
        outs.add(out);
        if (r > 0) {
          cmd.add("--next");
        }
        // to a file, read after: a reader of curl's output here would wake at every token
        cmd.addAll(
            List.of(
                "-sS",
                "-N",
                "--fail-with-body",
                "-H",
                "Content-Type: application/json",
                "--data-binary",
                "@" + body,
                "-o",
                out.toString(),
                uri.toString()));
      }
      Process p =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("curl-" + id + ".log").toFile())
              .start();
      int rc = p.waitFor();
      long n = 0;
      int done = 0;
      StringBuilder other = new StringBuilder();
      for (Path out : outs) {
        for (String l : Files.exists(out) ? Files.readAllLines(out) : List.<String>of()) {
          if (l.contains("\"usage\"")) {
            n += completionTokens(l);
          } else if (l.equals("data: [DONE]")) {
            done++;
          } else if (!l.isEmpty() && !l.startsWith("data: {") && other.length() < 2000) {
            other.append(l).append('\n');
          }
        }
      }
      if (rc != 0 || done != rounds) {
        throw new IllegalStateException(
            "curl exited "
                + rc
                + " after "
                + done
                + " of "
                + rounds
                + " streams: "
                + other
                + Files.readString(dir.resolve("curl-" + id + ".log")));
      }
      return n;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static long completionTokens(String usageLine) {
    int i = usageLine.indexOf("\"completion_tokens\":");
    return Long.parseLong(usageLine.substring(i + 20).split("[,}]")[0]);
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

  private String requestBody(String prompt) {
    StringBuilder bias = new StringBuilder("{");
    BAN.keySet()
        .forEach(
            k -> bias.append(bias.length() > 1 ? "," : "").append('"').append(k).append("\":-100"));
    bias.append('}');
    return String.format(
        Locale.ROOT,
        "{\"model\":\"lm\",\"prompt\":\"%s\",\"max_tokens\":%d,\"temperature\":0,\"stream\":true,"
            + "\"stream_options\":{\"include_usage\":true},\"logit_bias\":%s}",
        prompt,
        tokens,
        bias);
  }

  private long overHttp(HttpClient http, URI uri, String prompt) {
    String body = requestBody(prompt);
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
                usage[0] = completionTokens(l);
              });
      return usage[0];
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private void report(String kind, int streams, long tokens, long nanos) {
    double perSecond = tokens / (nanos / 1e9);
    results.computeIfAbsent(kind + "/" + streams, k -> new ArrayList<>()).add(perSecond);
    System.out.printf(
        Locale.ROOT,
        "{\"kind\":\"%s\",\"streams\":%d,\"tokens\":%d,\"seconds\":%.2f,\"tokens_per_s\":%.1f%s}%n",
        kind,
        streams,
        tokens,
        nanos / 1e9,
        perSecond,
        kind.equals("server") ? ",\"client\":\"" + client + "\"" : "");
  }
}
