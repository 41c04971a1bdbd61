package dev.strata.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every benchmark script of strata-bench runs in its smoke mode, from a fresh results directory,
 * with what the build has just made: so that a benchmark cannot rot unseen between the runs that
 * measure. The serving benchmark's wrk and h2load runs are checked where they are installed (CI
 * installs them); the PyTorch reference where python3-torch is.
 */
class BenchScriptsIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path ROOT = repositoryRoot();
  private static final Duration LIMIT = Duration.ofMinutes(4);

  record Run(int exit, String output) {}

  @Test
  void servingBenchSmokeRunsEveryStep() throws Exception {
    int http = freePort();
    int grpc = freePort();
    Run run =
        run(
            Map.of("HTTP_PORT", Integer.toString(http), "GRPC_PORT", Integer.toString(grpc)),
            "strata-bench/serving-bench.sh",
            "--smoke");
    assertThat(run.exit()).as(run.output()).isZero();

    List<JsonNode> results = new ArrayList<>();
    for (String line :
        Files.readAllLines(ROOT.resolve("strata-bench/target/serving-bench-smoke/results.jsonl"))) {
      results.add(JSON.readTree(line));
    }
    assertThat(kinds(results, "in-process"))
        .extracting(n -> n.path("model").asText())
        .contains("small", "resnet");
    List<JsonNode> servers = kinds(results, "server");
    for (JsonNode open : servers.stream().filter(n -> n.path("rate").asDouble() > 0).toList()) {
      assertThat(kinds(results, "in-process"))
          .as("in-process batch 1 on the schedule of " + open)
          .anySatisfy(
              n -> {
                assertThat(n.path("model").asText()).isEqualTo(open.path("model").asText());
                assertThat(n.path("batch").asInt()).isEqualTo(1);
                assertThat(n.path("wait").asText()).isEqualTo("park");
                assertThat(n.path("rate").asDouble())
                    .isCloseTo(open.path("rate").asDouble(), within(0.5));
                assertThat(n.path("calls_per_s").asDouble()).isPositive();
              });
    }
    for (String transport : List.of("binary", "grpc", "json")) {
      assertThat(servers)
          .as("LoadGenerator, closed and open loop, " + transport)
          .anySatisfy(n -> assertServed(n, "load", transport, false))
          .anySatisfy(n -> assertServed(n, "load", transport, true));
    }
    if (wrkInstalled()) {
      for (String transport : List.of("binary", "json")) {
        assertThat(servers)
            .as("wrk, " + transport)
            .anySatisfy(n -> assertServed(n, "wrk", transport, false));
      }
    } else {
      assertThat(run.output()).contains("wrk is not installed; its runs are skipped");
    }
    if (installed("h2load")) {
      assertThat(servers)
          .as("h2load, grpc")
          .anySatisfy(n -> assertServed(n, "h2load", "grpc", false));
    } else {
      assertThat(run.output()).contains("h2load is not installed; its runs are skipped");
    }
    assertThat(servers)
        .allSatisfy(
            n -> {
              assertThat(n.path("errors").asLong()).as(n.toString()).isZero();
              assertThat(n.path("req_per_s").asDouble()).as(n.toString()).isPositive();
            });
    assertThat(kinds(results, "startup")).isNotEmpty();
    assertThat(kinds(results, "load-unload")).hasSize(2);
    assertThat(run.output())
        .contains("small, saturation (closed loop)")
        .contains("small, half of saturation (open loop)")
        .contains("in-process at this rate")
        .contains("start to ready");
  }

  @Test
  void servingBenchWillNotMeasureWithoutWrk() throws Exception {
    Run run = run(Map.of("WRK", "/nonexistent/wrk"), "strata-bench/serving-bench.sh", "small", "1");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.output())
        .contains("wrk ('/nonexistent/wrk') is not installed")
        .contains("apt-get install -y wrk");
  }

  @Test
  void servingBenchWillNotMeasureWithoutH2load() throws Exception {
    Run run =
        run(
            Map.of("WRK", "true", "H2LOAD", "/nonexistent/h2load"),
            "strata-bench/serving-bench.sh",
            "small",
            "1");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.output())
        .contains("h2load ('/nonexistent/h2load') is not installed")
        .contains("apt-get install -y nghttp2-client");
  }

  @Test
  void fleetBenchSmokePasses() throws Exception {
    Run run =
        run(Map.of("PORT", Integer.toString(freePort())), "strata-bench/fleet-bench.sh", "--smoke");
    assertThat(run.exit()).as(run.output()).isZero();
    assertThat(run.output()).contains("agents=20").contains("verdict: PASS").contains("20:0");
  }

  @Test
  void trainingBenchSmokeTrainsAndInfers() throws Exception {
    Run run = run(Map.of(), "strata-bench/run-training-bench.sh", "--smoke");
    assertThat(run.exit()).as(run.output()).isZero();
    assertThat(run.output())
        .contains("\"framework\":\"strata\",\"epoch\":1")
        .contains("\"train_images\":256")
        .contains("\"framework\":\"onnxruntime 1.23.2\"");
  }

  @Test
  void generationBenchSmokeRunsEveryMode() throws Exception {
    Run run = run(Map.of(), "strata-bench/llm-bench.sh", "--smoke");
    assertThat(run.exit()).as(run.output()).isZero();
    assertThat(run.output())
        .contains("\"kind\":\"in-process-sequential\",\"streams\":1,\"tokens\":64")
        .contains("\"kind\":\"in-process\",\"streams\":8,\"tokens\":64")
        .contains("\"kind\":\"server\",\"streams\":8,\"tokens\":64")
        .contains("\"kind\":\"summary\",\"streams\":8,\"runs\":1,")
        .contains("\"kind\":\"batching\",");
  }

  @Test
  void embeddingBenchSmokeRunsBothSides() throws Exception {
    Run run = run(Map.of(), "strata-bench/llm-bench.sh", "embeddings", "--smoke");
    assertThat(run.exit()).as(run.output()).isZero();
    assertThat(run.output())
        .contains("\"kind\":\"in-process\",\"clients\":8,\"requests\":16")
        .contains("\"kind\":\"server\",\"clients\":1,")
        .contains("\"kind\":\"server\",\"clients\":8,")
        .contains("\"kind\":\"summary\",\"clients\":8,\"runs\":1,");
  }

  @Test
  void compressionBenchSmokeQuantizesAndCompares() throws Exception {
    Run run = run(Map.of(), "strata-bench/compress-bench.sh", "--smoke");
    assertThat(run.exit()).as(run.output()).isZero();
    assertThat(run.output())
        .contains("3 BatchNorm folded")
        .contains("\"bench\":\"compression\",\"model\":\"int8-minmax\"")
        .contains("layer 0 (conv2d): 32 -> 16")
        .contains("\"bench\":\"compression\",\"model\":\"structured-50\"")
        .contains("\"batch64_speedup\"");
  }

  @Test
  void trainingBenchNamesTheMissingDataset() throws Exception {
    Run run = run(Map.of(), "strata-bench/run-training-bench.sh", "--data", "/nonexistent");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.output())
        .contains("no dataset at /nonexistent")
        .contains("dataset-fashion-mnist");
  }

  @Test
  void pytorchReferenceSmokeTrains() throws Exception {
    assumeTrue(
        run(Map.of(), "/usr/bin/python3", "-c", "import torch").exit() == 0,
        "python3-torch is not installed (apt-get install -y python3-torch): the outside reference"
            + " cannot run here");
    Run run =
        run(Map.of(), "/usr/bin/python3", "strata-bench/python/train_reference.py", "--smoke");
    assertThat(run.exit()).as(run.output()).isZero();
    assertThat(run.output()).contains("\"framework\": \"pytorch\"").contains("images_per_second");
  }

  private static void assertServed(JsonNode n, String tool, String transport, boolean openLoop) {
    assertThat(n.path("tool").asText()).isEqualTo(tool);
    assertThat(n.path("transport").asText()).isEqualTo(transport);
    assertThat(n.path("rate").asDouble() > 0).isEqualTo(openLoop);
    assertThat(n.path("req_per_s").asDouble()).isPositive();
  }

  private static List<JsonNode> kinds(List<JsonNode> results, String kind) {
    return results.stream().filter(n -> n.path("kind").asText().equals(kind)).toList();
  }

  private static boolean wrkInstalled() throws Exception {
    return installed("wrk");
  }

  private static boolean installed(String command) throws Exception {
    return run(Map.of(), "bash", "-c", "command -v " + command).exit() == 0;
  }

  /** Runs a command in the repository root with what the build made (no Maven inside). */
  private static Run run(Map<String, String> env, String... command) throws Exception {
    Path log = Files.createTempFile("bench-script-", ".log");
    try {
      ProcessBuilder pb =
          new ProcessBuilder(command)
              .directory(ROOT.toFile())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      pb.environment().put("STRATA_BENCH_BUILD", "0");
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
        p.waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError(
            String.join(" ", command)
                + " ran past "
                + LIMIT
                + ":\n"
                + Files.readString(log, StandardCharsets.UTF_8));
      }
      return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(log);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static Path repositoryRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isRegularFile(p.resolve("mvnw"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException(
          "no repository root (with mvnw) above " + Path.of("").toAbsolutePath());
    }
    return p;
  }
}
