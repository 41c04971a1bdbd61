package dev.strata.edge;

import dev.strata.api.DeploymentSpec;
import dev.strata.api.Selector;
import dev.strata.api.Variant;
import dev.strata.control.ModelFormats;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Measures the resident memory of an edge agent process ({@code strata edge}, the launcher's
 * default JVM flags) serving a language model: a fake cloud in this JVM deploys a GGUF file (e.g.
 * {@code models/tiny-lm-edge/model.gguf}) to the agent, which then answers chat completions back to
 * back for the given seconds (32 tokens each) while its VmRSS is sampled. Not a test: run by hand,
 * see docs/benchmarks.md.
 *
 * <p>Arguments: the {@code strata} launcher, the GGUF file, the load duration in seconds.
 */
public final class LanguageModelFootprintProbe {
  private LanguageModelFootprintProbe() {}

  public static void main(String[] args) throws Exception {
    Path strata = Path.of(args[0]);
    Path gguf = Path.of(args[1]);
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 60;
    Path dir = Files.createTempDirectory("strata-lm-footprint-");
    try (LoopbackCloud cloud = LoopbackCloud.start(dir.resolve("cloud"), Map.of())) {
      Variant v = cloud.publish("lm", "q8", Files.readAllBytes(gguf), ModelFormats.GGUF);
      cloud.deploy("lm-edge", DeploymentSpec.edge("lm", v.version(), "q8", Selector.ALL));
      int port = FootprintProbe.freePort();
      ProcessBuilder pb = FootprintProbe.agent(strata, cloud, dir, port, -1, "lm-footprint");
      pb.environment().remove("STRATA_JAVA_OPTS");
      Process agent = pb.start();
      HttpClient http = HttpClient.newHttpClient();
      URI chat = URI.create("http://127.0.0.1:" + port + "/v1/chat/completions");
      try {
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (status(http, chat) != 200) {
          if (System.nanoTime() > deadline || !agent.isAlive()) {
            throw new IllegalStateException("agent not ready; see " + dir.resolve("agent.log"));
          }
          Thread.sleep(300);
        }
        long atReady = FootprintProbe.rss(agent.pid());
        long max = atReady;
        int served = 0;
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        while (System.nanoTime() < end) {
          if (status(http, chat) != 200) {
            throw new IllegalStateException("a chat failed; see " + dir.resolve("agent.log"));
          }
          served++;
          max = Math.max(max, FootprintProbe.rss(agent.pid()));
        }
        long last = FootprintProbe.rss(agent.pid());
        System.out.printf(
            "model=%s bytes=%d rss_at_first_answer_mb=%.1f rss_under_load_max_mb=%.1f"
                + " rss_end_mb=%.1f chats=%d seconds=%d%n",
            gguf,
            Files.size(gguf),
            atReady / 1048576.0,
            max / 1048576.0,
            last / 1048576.0,
            served,
            seconds);
      } finally {
        agent.destroy();
        agent.waitFor();
      }
    }
  }

  private static int status(HttpClient http, URI chat) {
    try {
      return http.send(
              HttpRequest.newBuilder(chat)
                  .timeout(Duration.ofSeconds(30))
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"model\":\"lm\",\"max_tokens\":32,\"messages\":[{\"role\":\"user\","
                              + "\"content\":\"And God said\"}]}"))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (Exception e) {
      return -1;
    }
  }
}
