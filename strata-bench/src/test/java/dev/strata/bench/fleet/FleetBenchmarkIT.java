package dev.strata.bench.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.cloud.CloudConfig;
import dev.strata.cloud.CloudServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The simulator runs a small fleet against a real cloud without an error (a smoke test). */
class FleetBenchmarkIT {
  private static final String TOKEN = "bench-test-admin-token-0123456789";

  @TempDir Path dir;

  @Test
  void aSmallFleetEnrollsBeatsAndPolls() {
    try (CloudServer cloud =
        CloudServer.start(
            CloudConfig.builder(dir).ports(0, -1).adminToken(TOKEN).ioThreads(1).build())) {
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      CommandLine cli = new CommandLine(new FleetBenchmark());
      cli.setOut(new PrintWriter(out));
      cli.setErr(new PrintWriter(err));
      int exit =
          cli.execute(
              "--url",
              cloud.httpUri().toString(),
              "--admin-token",
              TOKEN,
              "--agents",
              "20",
              "--interval-s",
              "1",
              "--warmup-s",
              "1",
              "--duration-s",
              "2",
              "--target-ms",
              "5000");
      assertThat(out.toString())
          .as(err.toString())
          .contains("agents=20")
          .contains("heartbeat")
          .contains("desired-state")
          .contains("verdict: PASS");
      assertThat(exit).isZero();
      assertThat(cloud.registry().fleet().summary().total()).isEqualTo(20);
    }
  }
}
