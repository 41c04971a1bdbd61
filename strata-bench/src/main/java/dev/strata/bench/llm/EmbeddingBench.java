package dev.strata.bench.llm;

import static dev.strata.bench.BenchStats.median;

import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.strata.core.ModelStatistics;
import dev.strata.core.ModelStatistics.InferenceStats;
import dev.strata.runtime.RuntimeConfig;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.IntConsumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Embedding requests per second on all-MiniLM-L6-v2, one text per request: through the server's
 * {@code POST /v1/embeddings} (HTTP on loopback from wrk, or from java.net.http in this JVM; the
 * same cores either way) and, as the reference, LangChain4j's own in-process model of the same ONNX
 * file ({@code AllMiniLmL6V2EmbeddingModel}: ONNX Runtime called directly, no server). With 1
 * client (batch 1, latency-bound) and 8 concurrent clients (the server's dynamic batcher may join
 * them), in turn, {@code --runs} times after a warm-up; medians and ratios at the end. One JSON
 * line per run.
 */
@Command(name = "embedding-bench", mixinStandardHelpOptions = true)
public final class EmbeddingBench implements Callable<Integer> {
  @Option(names = "--dir", required = true, description = "Where the repository goes.")
  Path dir;

  @Option(names = "--requests", defaultValue = "400", description = "Requests per run.")
  int requests;

  @Option(
      names = "--cpu-arena",
      description = "Serve with ONNX Runtime's CPU arena allocator (the runtime's default: off).")
  boolean cpuArena;

  @Option(
      names = "--intra-op-threads",
      defaultValue = "0",
      description =
          "The served model's ONNX Runtime intra-op threads (the runtime's default 0: all processors).")
  int intraOpThreads;

  @Option(
      names = "--instances",
      defaultValue = "0",
      description =
          "Sessions serving the model (config.pbtxt instance_group count; 0: no config, the"
              + " runtime's default of one).")
  int instances;

  @Option(
      names = "--runs",
      defaultValue = "3",
      description = "Interleaved runs (in-process, then the server, at each client count).")
  int runs;

  @Option(
      names = "--client",
      defaultValue = "auto",
      description =
          "The server's clients: wrk (outside this JVM, as a user's client is; runs of --seconds),"
              + " jdk (java.net.http in this JVM; runs of --requests), or auto: wrk where it is"
              + " installed.")
  String client;

  @Option(names = "--seconds", defaultValue = "5", description = "Length of a wrk run.")
  int seconds;

  @Option(names = "--smoke", description = "Few requests (a check the bench runs).")
  boolean smoke;

  /** Requests per second of every reported run, by kind and client count. */
  private final java.util.Map<String, List<Double>> results = new java.util.TreeMap<>();

  static final List<String> TEXTS =
      List.of(
          "a cat sits on the mat",
          "the quarterly revenue grew by four percent on strong demand in the north",
          "how do I reset my password",
          "In the beginning God created the heaven and the earth.",
          "edge devices answer fast, offline and privately; the cloud answers the hard cases",
          "what is the capital of France",
          "a kitten rests on a rug near the window while the rain falls outside",
          "error 404: the requested model was not found on this server");

  public static void main(String[] args) {
    System.exit(new CommandLine(new EmbeddingBench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (smoke) {
      requests = 16;
    }
    Path repo = dir.resolve("repo");
    Path version = Files.createDirectories(repo.resolve("minilm/1"));
    copy("all-minilm-l6-v2.onnx", version.resolve("model.onnx"));
    copy("all-minilm-l6-v2-tokenizer.json", version.resolve("tokenizer.json"));
    if (instances > 0) {
      Files.writeString(
          repo.resolve("minilm/config.pbtxt"),
          "instance_group [{ count: " + instances + " kind: KIND_CPU }]\n");
    }

    if (smoke) {
      runs = 1;
      seconds = 1;
    }
    if (client.equals("auto")) {
      client = GenerationBench.onPath("wrk") ? "wrk" : "jdk";
      System.err.println("clients: " + client + (client.equals("jdk") ? " (no wrk here)" : ""));
    }
    if (!client.equals("wrk") && !client.equals("jdk")) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--client: " + client + " (expected: wrk, jdk or auto)");
    }
    Path script = writeWrkScript();
    AllMiniLmL6V2EmbeddingModel reference = new AllMiniLmL6V2EmbeddingModel();
    try (LocalOpenAiServer server =
            LocalOpenAiServer.start(
                RuntimeConfig.builder(repo)
                    .cpuArena(cpuArena)
                    .defaultIntraOpThreads(intraOpThreads));
        HttpClient http = HttpClient.newHttpClient()) {
      URI uri = server.uri("/v1/embeddings");
      for (int run = 0; run <= runs; run++) { // run 0: the warm-up, not reported
        for (int clients : new int[] {1, 8}) {
          double t = run(clients, i -> reference.embed(text(i)));
          if (run > 0) {
            report("in-process", clients, requests, t);
          }
          ModelStatistics before = statistics(server);
          if (client.equals("wrk")) {
            double[] r = wrk(uri, script, clients, run == 0 ? 1 : seconds);
            if (run > 0) {
              report("server", clients, (long) r[0], r[1]);
            }
          } else {
            double s = run(clients, i -> post(http, uri, text(i)));
            if (run > 0) {
              report("server", clients, requests, s);
            }
          }
          if (run > 0) {
            breakdown(clients, before, statistics(server));
          }
        }
      }
    }
    for (int clients : new int[] {1, 8}) {
      double in = median(results.get("in-process/" + clients));
      double over = median(results.get("server/" + clients));
      System.out.printf(
          Locale.ROOT,
          "{\"kind\":\"summary\",\"clients\":%d,\"runs\":%d,\"in_process_median\":%.1f,"
              + "\"server_median\":%.1f,\"ratio\":%.3f,\"client\":\"%s\"}%n",
          clients,
          runs,
          in,
          over,
          over / in,
          client);
    }
    return 0;
  }

  /** wrk's script: POSTs of the texts in turn. */
  private Path writeWrkScript() throws java.io.IOException {
    StringBuilder lua = new StringBuilder("local bodies = {\n");
    for (String t : TEXTS) {
      lua.append("  [[").append(body(t)).append("]],\n");
    }
    lua.append(
        """
        }
        local i = 0
        wrk.method = "POST"
        wrk.headers["Content-Type"] = "application/json"
        request = function()
          i = i % #bodies + 1
          return wrk.format(nil, nil, nil, bodies[i])
        end
        """);
    return Files.writeString(dir.resolve("embeddings.lua"), lua);
  }

  /**
   * One wrk run of {@code seconds} with {@code clients} connections (one thread): the requests it
   * completed and the seconds they took; any answer that is not 2xx fails the run.
   */
  private static double[] wrk(URI uri, Path script, int clients, int seconds) throws Exception {
    Process p =
        new ProcessBuilder(
                "wrk",
                "-t1",
                "-c" + clients,
                "-d" + seconds + "s",
                "-s",
                script.toString(),
                uri.toString())
            .redirectErrorStream(true)
            .start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    int rc = p.waitFor();
    java.util.regex.Matcher done =
        java.util.regex.Pattern.compile("(\\d+) requests in ([0-9.]+)(m?s)").matcher(out);
    if (rc != 0 || !done.find() || out.contains("Non-2xx") || out.contains("Socket errors")) {
      throw new IllegalStateException("wrk exited " + rc + ":\n" + out);
    }
    double t = Double.parseDouble(done.group(2));
    return new double[] {Long.parseLong(done.group(1)), done.group(3).equals("ms") ? t / 1e3 : t};
  }

  private static String text(int i) {
    return TEXTS.get(i % TEXTS.size());
  }

  /** {@code requests} calls over {@code clients} threads; the seconds it took. */
  private double run(int clients, IntConsumer call) {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      long t0 = System.nanoTime();
      List<CompletableFuture<Void>> all = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        int first = c;
        all.add(
            CompletableFuture.runAsync(
                () -> {
                  for (int i = first; i < requests; i += clients) {
                    call.accept(i);
                  }
                },
                pool));
      }
      all.forEach(CompletableFuture::join);
      return (System.nanoTime() - t0) / 1e9;
    } finally {
      pool.shutdown();
    }
  }

  private static ModelStatistics statistics(LocalOpenAiServer server) {
    return server.runtime().statistics(Optional.of("minilm"), Optional.empty()).getFirst();
  }

  /**
   * Where a server request's time went, from the runtime's own statistics over the run: queued, and
   * the three compute phases, per request and per execution (mean µs).
   */
  private static void breakdown(int clients, ModelStatistics before, ModelStatistics after) {
    InferenceStats a = after.inferenceStats();
    InferenceStats b = before.inferenceStats();
    long requests = a.success().count() - b.success().count();
    long executions = after.executionCount() - before.executionCount();
    System.out.printf(
        Locale.ROOT,
        "{\"kind\":\"server-breakdown\",\"clients\":%d,\"requests\":%d,\"executions\":%d,"
            + "\"runtime_us_per_request\":%.1f,\"queue_us_per_request\":%.1f,"
            + "\"input_us_per_execution\":%.1f,\"infer_us_per_execution\":%.1f,"
            + "\"output_us_per_execution\":%.1f}%n",
        clients,
        requests,
        executions,
        perItem(a.success(), b.success(), requests),
        perItem(a.queue(), b.queue(), requests),
        perItem(a.computeInput(), b.computeInput(), executions),
        perItem(a.computeInfer(), b.computeInfer(), executions),
        perItem(a.computeOutput(), b.computeOutput(), executions));
  }

  private static double perItem(
      ModelStatistics.Duration after, ModelStatistics.Duration before, long n) {
    return n == 0 ? 0 : (after.ns() - before.ns()) / 1e3 / n;
  }

  private void report(String kind, int clients, long requests, double seconds) {
    results.computeIfAbsent(kind + "/" + clients, k -> new ArrayList<>()).add(requests / seconds);
    System.out.printf(
        Locale.ROOT,
        "{\"kind\":\"%s\",\"clients\":%d,\"requests\":%d,\"seconds\":%.2f,\"requests_per_s\":%.1f%s}%n",
        kind,
        clients,
        requests,
        seconds,
        requests / seconds,
        kind.equals("server") ? ",\"client\":\"" + client + "\"" : "");
  }

  private static String body(String text) {
    return "{\"model\":\"minilm\",\"input\":\"" + text.replace("\"", "\\\"") + "\"}";
  }

  private static void post(HttpClient http, URI uri, String text) {
    String body = body(text);
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(uri)
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200 || !r.body().contains("\"embedding\"")) {
        throw new IllegalStateException("HTTP " + r.statusCode() + ": " + r.body());
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void copy(String resource, Path to) throws Exception {
    try (InputStream in = EmbeddingBench.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is not on the class path");
      }
      Files.copy(in, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
