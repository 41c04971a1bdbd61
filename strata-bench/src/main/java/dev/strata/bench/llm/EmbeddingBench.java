package dev.strata.bench.llm;

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
 * {@code POST /v1/embeddings} (HTTP on loopback, in this JVM, so both sides share the cores) and,
 * as the reference, LangChain4j's own in-process model of the same ONNX file ({@code
 * AllMiniLmL6V2EmbeddingModel}: ONNX Runtime called directly, no server). With 1 client (batch 1,
 * latency-bound) and 8 concurrent clients (the server's dynamic batcher may join them). One JSON
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

  @Option(names = "--smoke", description = "Few requests (a check the bench runs).")
  boolean smoke;

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

    AllMiniLmL6V2EmbeddingModel reference = new AllMiniLmL6V2EmbeddingModel();
    for (int clients : new int[] {1, 8}) {
      run(clients, i -> reference.embed(text(i))); // warm-up
      report("in-process", clients, run(clients, i -> reference.embed(text(i))));
    }

    try (LocalOpenAiServer server =
            LocalOpenAiServer.start(
                RuntimeConfig.builder(repo)
                    .cpuArena(cpuArena)
                    .defaultIntraOpThreads(intraOpThreads));
        HttpClient http = HttpClient.newHttpClient()) {
      URI uri = server.uri("/v1/embeddings");
      for (int clients : new int[] {1, 8}) {
        run(clients, i -> post(http, uri, text(i))); // warm-up
        ModelStatistics before = statistics(server);
        report("server", clients, run(clients, i -> post(http, uri, text(i))));
        breakdown(clients, before, statistics(server));
      }
    }
    return 0;
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

  private void report(String kind, int clients, double seconds) {
    System.out.printf(
        Locale.ROOT,
        "{\"kind\":\"%s\",\"clients\":%d,\"requests\":%d,\"seconds\":%.2f,\"requests_per_s\":%.1f}%n",
        kind,
        clients,
        requests,
        seconds,
        requests / seconds);
  }

  private static void post(HttpClient http, URI uri, String text) {
    String body = "{\"model\":\"minilm\",\"input\":\"" + text.replace("\"", "\\\"") + "\"}";
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
