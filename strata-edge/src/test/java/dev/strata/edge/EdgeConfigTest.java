package dev.strata.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class EdgeConfigTest {
  @Test
  void defaults() {
    EdgeConfig c = EdgeConfig.builder(URI.create("http://cloud:8080")).build();
    assertThat(c.dataDir()).isEqualTo(EdgeConfig.defaultDataDir());
    assertThat(c.dataDir().toString()).endsWith(".strata/edge");
    assertThat(c.enrollToken()).isEmpty();
    assertThat(c.cloudKey()).isEmpty();
    assertThat(c.pollInterval()).isEmpty();
    assertThat(c.cloudTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.inferenceUrl()).isEqualTo(URI.create("http://cloud:8080"));
    assertThat(c.nodeName()).matches("[a-z0-9][a-z0-9._-]*");
    assertThat(c.repositoryApi()).isFalse();
  }

  @Test
  void theRepositoryApiIsOffUnlessAsked() {
    EdgeCommand off = new EdgeCommand();
    new CommandLine(off).parseArgs("--cloud", "http://cloud:8080");
    assertThat(off.config().repositoryApi()).isFalse();

    EdgeCommand on = new EdgeCommand();
    new CommandLine(on).parseArgs("--cloud", "http://cloud:8080", "--repository-api");
    assertThat(on.config().repositoryApi()).isTrue();
    assertThat(on.config().toString()).contains("repositoryApi=true");
  }

  @Test
  void badValuesAreNamed() {
    assertThatThrownBy(() -> EdgeConfig.builder(URI.create("ftp://x")).build())
        .hasMessageContaining("cloud: 'ftp://x' (expected: http://host:port)");
    assertThatThrownBy(
            () -> EdgeConfig.builder(URI.create("http://x:1")).cloudTimeout(Duration.ZERO).build())
        .hasMessageContaining("cloudTimeout: PT0S (expected: > 0)");
    assertThatThrownBy(
            () ->
                EdgeConfig.builder(URI.create("http://x:1"))
                    .backoff(Duration.ofSeconds(2), Duration.ofSeconds(1))
                    .build())
        .hasMessageContaining("backoffMax: PT1S (expected: >= backoffInitial PT2S)");
    assertThatThrownBy(() -> EdgeConfig.builder(URI.create("http://x:1")).nodeName("-bad").build())
        .hasMessageContaining("nodeName: -bad");
  }

  @Test
  void theTokenNeverShows() {
    EdgeConfig c =
        EdgeConfig.builder(URI.create("http://x:1")).enrollToken("ste_abc.secret").build();
    assertThat(c.toString()).doesNotContain("secret").contains("enrollToken=***");
  }

  @Test
  void theCommandsDefaultsAreTheConfigsDefaults() {
    EdgeCommand cmd = new EdgeCommand();
    new CommandLine(cmd).parseArgs("--cloud", "http://cloud:8080");
    assertThat(cmd.config().serving()).isEqualTo(EdgeConfig.DEFAULT_SERVING);
    assertThat(EdgeConfig.builder(URI.create("http://cloud:8080")).build().serving())
        .isEqualTo(EdgeConfig.DEFAULT_SERVING);
    assertThat(EdgeConfig.DEFAULT_SERVING.maxRequestBytes()).isEqualTo(16 << 20);
  }

  @Test
  void theCommandLineBecomesAConfig() {
    EdgeCommand cmd = new EdgeCommand();
    new CommandLine(cmd)
        .parseArgs(
            "--cloud", "http://cloud:8080",
            "--enroll-token", "ste_a.b",
            "--data-dir", "/tmp/edge-x",
            "--name", "gw-1",
            "--label", "site=lab",
            "--label", "tier=gateway",
            "--http-port", "9000",
            "--grpc-port", "-1",
            "--poll-interval", "5s",
            "--cloud-timeout", "500ms",
            "--telemetry-interval", "2s",
            "--max-request-mb", "4");
    EdgeConfig c = cmd.config();
    assertThat(c.cloud()).isEqualTo(URI.create("http://cloud:8080"));
    assertThat(c.enrollToken()).contains("ste_a.b");
    assertThat(c.dataDir()).isEqualTo(Path.of("/tmp/edge-x"));
    assertThat(c.nodeName()).isEqualTo("gw-1");
    assertThat(c.labels()).isEqualTo(Map.of("site", "lab", "tier", "gateway"));
    assertThat(c.serving().httpPort()).isEqualTo(9000);
    assertThat(c.serving().grpcPort()).isEqualTo(-1);
    assertThat(c.serving().maxRequestBytes()).isEqualTo(4 << 20);
    assertThat(c.pollInterval()).isEqualTo(Optional.of(Duration.ofSeconds(5)));
    assertThat(c.cloudTimeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(c.telemetryInterval()).isEqualTo(Duration.ofSeconds(2));
  }
}
