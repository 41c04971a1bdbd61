package dev.strata.edge;

import dev.strata.api.DeploymentSpec;
import dev.strata.api.Selector;
import dev.strata.api.Variant;
import dev.strata.control.ConfidenceMeasure;
import dev.strata.control.InferencePolicy;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.onnx.ExampleModels;
import dev.strata.protocol.client.ClientConfig;
import dev.strata.protocol.client.StrataClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * Measures the resident memory of an edge agent process ({@code strata edge}) serving one small
 * model: a fake cloud runs in this JVM, deploys a 28x28 CNN with a cascade policy to a cloud CNN,
 * and the agent runs as its own process with the JVM flags given. After warm-up it serves light
 * load (about 20 requests a second) while its VmRSS is sampled. Not a test: run by hand, see
 * docs/benchmarks.md.
 *
 * <p>Arguments: the {@code strata} launcher, the JVM flags (one string, may be empty: the JDK's
 * defaults; {@value #LAUNCHER_DEFAULTS} leaves {@code STRATA_JAVA_OPTS} unset, so the launcher's
 * own defaults for {@code strata edge} apply), the load duration in seconds, {@code grpc} to serve
 * gRPC too (or {@code rest}, the default; the load is REST either way), and how many warm-up
 * requests to send back to back before the paced load (default 2000).
 */
public final class FootprintProbe {
  /** The flags argument that runs the agent as a user who sets no JVM flags does. */
  static final String LAUNCHER_DEFAULTS = "launcher-defaults";

  private FootprintProbe() {}

  public static void main(String[] args) throws Exception {
    Path strata = Path.of(args[0]);
    String flags = args.length > 1 ? args[1] : "";
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 30;
    boolean grpc = args.length > 3 && args[3].equals("grpc");
    int warmup = args.length > 4 ? Integer.parseInt(args[4]) : 2000;
    Path dir = Files.createTempDirectory("strata-footprint-");
    try (LoopbackCloud cloud =
        LoopbackCloud.start(
            dir.resolve("cloud"), Map.of("fashion-cnn", ExampleModels.smallCnn(2).toByteArray()))) {
      Variant v = cloud.publish("fashion-edge", "fp32", ExampleModels.smallCnn(1).toByteArray());
      cloud.deploy(
          "fashion",
          DeploymentSpec.edge("fashion-edge", v.version(), "fp32", Selector.ALL)
              .withPolicy(
                  new InferencePolicy.Cascade(
                      ConfidenceMeasure.MAX_PROBABILITY, 0.2, Optional.of("fashion-cnn"))));
      int port = freePort();
      ProcessBuilder pb = agent(strata, cloud, dir, port, grpc ? freePort() : -1, "footprint");
      if (flags.equals(LAUNCHER_DEFAULTS)) {
        pb.environment().remove("STRATA_JAVA_OPTS");
      } else {
        pb.environment().put("STRATA_JAVA_OPTS", flags);
      }
      Process agent = pb.start();
      try (StrataClient client =
          StrataClient.rest(
              ClientConfig.of("127.0.0.1", port).withTimeout(Duration.ofSeconds(10)))) {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!ready(client)) {
          if (System.nanoTime() > deadline || !agent.isAlive()) {
            throw new IllegalStateException("agent not ready; see " + dir.resolve("agent.log"));
          }
          Thread.sleep(200);
        }
        long atReady = rss(agent.pid());
        Random r = new Random(1);
        for (int i = 0; i < warmup; i++) {
          client.infer(image(r));
        }
        long afterWarmup = rss(agent.pid());
        long max = afterWarmup;
        int served = 0;
        int cloudServed = 0;
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        List<Long> samples = new ArrayList<>();
        while (System.nanoTime() < end) {
          for (int i = 0; i < 10; i++) {
            InferenceResponse resp = client.infer(image(r));
            served++;
            cloudServed += "cloud".equals(resp.parameters().get("strata.served_by")) ? 1 : 0;
          }
          Thread.sleep(500); // about 20 requests a second
          long now = rss(agent.pid());
          samples.add(now);
          max = Math.max(max, now);
        }
        System.out.printf(
            "grpc=%s flags=[%s] rss_at_ready_mb=%.1f rss_after_warmup_mb=%.1f"
                + " rss_under_load_max_mb=%.1f rss_end_mb=%.1f warmup_requests=%d requests=%d"
                + " cloud=%d%n",
            grpc,
            flags,
            atReady / 1048576.0,
            afterWarmup / 1048576.0,
            max / 1048576.0,
            samples.getLast() / 1048576.0,
            warmup,
            served,
            cloudServed);
      } finally {
        agent.destroy();
        agent.waitFor();
      }
    }
  }

  /**
   * {@code strata edge} enrolled with {@code cloud}, its data under {@code dir/edge} and its output
   * in {@code dir/agent.log}; a gRPC port of -1 turns gRPC off.
   */
  static ProcessBuilder agent(
      Path strata, LoopbackCloud cloud, Path dir, int httpPort, int grpcPort, String name) {
    return new ProcessBuilder(
            strata.toString(),
            "edge",
            "--cloud",
            cloud.url().toString(),
            "--enroll-token",
            cloud.enrollmentToken(Map.of()),
            "--data-dir",
            dir.resolve("edge").toString(),
            "--http-port",
            Integer.toString(httpPort),
            "--grpc-port",
            Integer.toString(grpcPort),
            "--name",
            name)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("agent.log").toFile());
  }

  private static boolean ready(StrataClient client) {
    try {
      return client.modelReady("fashion-edge", Optional.empty());
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static InferenceRequest image(Random r) {
    float[] px = new float[28 * 28];
    for (int i = 0; i < px.length; i++) {
      px[i] = r.nextFloat();
    }
    return InferenceRequest.of(
        "fashion-edge", List.of(Tensor.ofFloats("input", Shape.of(1, 1, 28, 28), px)));
  }

  static long rss(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024;
      }
    }
    throw new IllegalStateException("no VmRSS for " + pid);
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
