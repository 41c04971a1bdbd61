package dev.strata.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.StrataException;
import dev.strata.registry.db.DatabaseConfig;
import dev.strata.serving.ServingConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Defaults, validation, secrecy of the configuration, and how the command maps its options. */
class CloudConfigTest {
  @TempDir Path dir;

  @Test
  void defaultsAreDocumented() {
    CloudConfig c = CloudConfig.defaults();
    assertThat(c.dataDir()).isEqualTo(Path.of(System.getProperty("user.home"), ".strata", "cloud"));
    assertThat(c.host()).isEqualTo("127.0.0.1");
    assertThat(c.httpPort()).isEqualTo(8080);
    assertThat(c.grpcPort()).isEqualTo(8081);
    assertThat(c.inferenceAuth()).isFalse();
    assertThat(c.registry().database().url()).endsWith("registry.db");
    assertThat(c.modelRepository()).isEqualTo(c.dataDir().resolve("cloud-models"));
  }

  @Test
  void badValuesAreRefusedWithTheirNames() {
    assertThatThrownBy(() -> CloudConfig.builder(dir).ports(70000, 1).build())
        .isInstanceOf(StrataException.class)
        .hasMessageContaining("httpPort: 70000");
    assertThatThrownBy(() -> CloudConfig.builder(dir).apiThreads(0).build())
        .hasMessageContaining("apiThreads: 0 (expected: >= 1)");
    assertThatThrownBy(() -> CloudConfig.builder(dir).reconcileInterval(Duration.ZERO).build())
        .hasMessageContaining("reconcileInterval");
  }

  @Test
  void secretsStayOutOfToString() {
    CloudConfig c =
        CloudConfig.builder(dir)
            .adminToken("very-secret-admin-token")
            .database(DatabaseConfig.of("jdbc:postgresql://db/strata?user=u&password=hunter2"))
            .build();
    assertThat(c.toString()).doesNotContain("very-secret-admin-token").doesNotContain("hunter2");
  }

  private static CloudCommand parse(String... args) {
    CloudCommand command = new CloudCommand();
    new CommandLine(command).parseArgs(args);
    return command;
  }

  @Test
  void theCommandsDefaultsAreTheConfigsDefaults() throws Exception {
    CloudConfig c = parse("--data-dir", dir.toString()).config();
    assertThat(c.serving()).isEqualTo(CloudConfig.builder(dir).build().serving());
    assertThat(c.serving().httpPort()).isEqualTo(CloudConfig.DEFAULT_HTTP_PORT);
    assertThat(c.serving().maxRequestBytes()).isEqualTo(ServingConfig.DEFAULT_MAX_REQUEST_BYTES);
  }

  @Test
  void commandOptionsMapToTheConfig() throws Exception {
    Path password = Files.writeString(dir.resolve("pw"), "s3cret\n");
    Path token = Files.writeString(dir.resolve("token"), "a-long-enough-admin-token\n");
    CloudConfig c =
        parse(
                "--data-dir",
                dir.toString(),
                "--host",
                "0.0.0.0",
                "--http-port",
                "9000",
                "--grpc-port",
                "-1",
                "--database-url",
                "jdbc:postgresql://db:5432/strata",
                "--database-user",
                "strata",
                "--database-password-file",
                password.toString(),
                "--database-schema",
                "cloud",
                "--admin-token-file",
                token.toString(),
                "--inference-auth",
                "--max-artifact-mb",
                "10",
                "--drain-timeout",
                "5s",
                "--telemetry-retention",
                "48h")
            .config();
    assertThat(c.dataDir()).isEqualTo(dir);
    assertThat(c.host()).isEqualTo("0.0.0.0");
    assertThat(c.httpPort()).isEqualTo(9000);
    assertThat(c.grpcPort()).isEqualTo(-1);
    assertThat(c.database().orElseThrow().password()).hasValue("s3cret");
    assertThat(c.database().orElseThrow().user()).hasValue("strata");
    assertThat(c.database().orElseThrow().schema()).hasValue("cloud");
    assertThat(c.adminToken()).hasValue("a-long-enough-admin-token");
    assertThat(c.inferenceAuth()).isTrue();
    assertThat(c.maxArtifactBytes()).isEqualTo(10L << 20);
    assertThat(c.drainTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.registry().telemetry().retention()).isEqualTo(Duration.ofHours(48));
  }

  @Test
  void inconsistentOptionsAreRefused() {
    assertThatThrownBy(() -> parse("--tls-cert", "a.pem").config())
        .hasMessageContaining("--tls-cert and --tls-key go together");
    assertThatThrownBy(() -> parse("--database-user", "x").config())
        .hasMessageContaining("need --database-url");
    assertThatThrownBy(() -> parse("--admin-token-file", dir.resolve("none").toString()).config())
        .hasMessageContaining("is not a readable file");
  }

  @Test
  void helpNamesEveryOption() {
    StringWriter out = new StringWriter();
    CommandLine cli = new CommandLine(new CloudCommand());
    cli.setOut(new PrintWriter(out));
    assertThat(cli.execute("--help")).isZero();
    assertThat(out.toString())
        .contains("Usage: cloud")
        .contains("--data-dir")
        .contains("--database-url")
        .contains("--admin-token-file")
        .contains("--inference-auth")
        .contains("--tls-cert")
        .contains("admin token");
  }
}
