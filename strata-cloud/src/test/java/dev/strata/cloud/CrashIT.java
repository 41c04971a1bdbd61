package dev.strata.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.registry.db.DatabaseConfig;
import dev.strata.registry.testing.TestDb;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A real cloud process ({@code strata cloud}'s main class) is killed with SIGKILL in the middle of
 * an artifact upload and in the middle of deployment changes; after a restart on the same data the
 * registry is consistent, no partial artifact or model file exists, and the cloud serves what its
 * deployment says.
 */
@ParameterizedClass
@EnumSource(TestDb.class)
class CrashIT {
  private static final Pattern URL = Pattern.compile("management API\\s+(http://\\S+)/api/v1");

  @Parameter TestDb db;
  @TempDir Path dir;
  private Optional<DatabaseConfig> database;
  private Process child;
  private int starts;

  @AfterEach
  void cleanUp() {
    if (child != null) {
      child.destroyForcibly();
    }
    if (database != null) {
      TestDb.drop(database);
    }
  }

  /** Starts the cloud in a child JVM and returns an admin client once it listens. */
  private Api startCloud() throws Exception {
    if (database == null) {
      database = db.cloudConfig();
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> cmd =
        new ArrayList<>(
            List.of(
                java,
                "-Xmx256m",
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                cp,
                CloudCommand.class.getName(),
                "--data-dir",
                dir.resolve("data").toString(),
                "--http-port",
                "0",
                "--grpc-port",
                "-1",
                "--io-threads",
                "1",
                "--max-request-mb",
                "1"));
    if (database.isPresent()) {
      cmd.addAll(List.of("--database-url", database.get().url()));
      cmd.addAll(List.of("--database-schema", database.get().schema().orElseThrow()));
    }
    Path log = dir.resolve("cloud-" + (++starts) + ".log");
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("STRATA_ADMIN_TOKEN", TestCloud.ADMIN_TOKEN);
    child = pb.start();
    String[] url = new String[1];
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              if (!child.isAlive()) {
                throw new AssertionError("cloud exited: " + Files.readString(log));
              }
              Matcher m = URL.matcher(Files.readString(log));
              if (m.find()) {
                url[0] = m.group(1);
                return true;
              }
              return false;
            });
    return new Api(URI.create(url[0]), Optional.of(TestCloud.ADMIN_TOKEN));
  }

  private void kill() throws InterruptedException {
    child.destroyForcibly(); // SIGKILL: no shutdown hook runs
    child.waitFor();
  }

  private Path data(String path) {
    return dir.resolve("data").resolve(path);
  }

  private static long count(Path d) throws IOException {
    if (!Files.isDirectory(d)) {
      return 0;
    }
    try (Stream<Path> s = Files.list(d)) {
      return s.count();
    }
  }

  private static List<String> hidden(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.map(p -> root.relativize(p).toString())
          .filter(p -> p.startsWith(".") || p.contains("/."))
          .toList();
    }
  }

  @Test
  void killedDuringAnUploadLeavesNoPartialArtifact() throws Exception {
    Api api = startCloud();
    try (Socket s = new Socket(api.base().getHost(), api.base().getPort())) {
      OutputStream out = s.getOutputStream();
      out.write(
          ("POST /api/v1/artifacts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                  + TestCloud.ADMIN_TOKEN
                  + "\r\nContent-Length: 50000000\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(new byte[3 << 20]);
      out.flush();
      await().atMost(Duration.ofSeconds(20)).until(() -> count(data("artifacts/tmp")) == 1);
      kill();
    }
    assertThat(count(data("artifacts/tmp"))).as("the partial upload is on disk").isEqualTo(1);

    api = startCloud();
    assertThat(count(data("artifacts/tmp"))).isZero();
    try (Stream<Path> objects = Files.walk(data("artifacts/sha256"))) {
      assertThat(objects.filter(Files::isRegularFile)).isEmpty();
    }
    // the registry works as before
    byte[] small = TestCloud.mlp(3);
    api.expect(201, api.upload(small, Map.of()));
    api.expect(201, api.post("/api/v1/models", Map.of("name", "after-crash")));
    assertThat(api.get("/api/v1/models").json().get("items")).hasSize(1);
  }

  @Test
  void killedDuringDeploymentsLeavesAConsistentRegistryAndServesItsDeployment() throws Exception {
    Api first = startCloud();
    long[] versions = new long[2];
    for (int i = 0; i < 2; i++) {
      versions[i] = publish(first, TestCloud.mlp(i + 1));
    }
    AtomicInteger applied = new AtomicInteger();
    Thread flipper =
        Thread.ofPlatform()
            .start(
                () -> {
                  for (int i = 0; ; i++) {
                    try {
                      Api.Response r = deploy(first, versions[i % 2]);
                      if (r.status() / 100 == 2) {
                        applied.incrementAndGet();
                      }
                    } catch (RuntimeException e) {
                      return; // the process is gone
                    }
                  }
                });
    await().atMost(Duration.ofSeconds(60)).until(() -> applied.get() >= 6);
    kill();
    flipper.join(30_000);

    Api api = startCloud();
    JsonNode deployment = api.expect(200, api.get("/api/v1/deployments/mlp-cloud"));
    long stable = deployment.get("stable").get("version").asLong();
    assertThat(stable).isIn(versions[0], versions[1]);
    JsonNode revisions = api.expect(200, api.get("/api/v1/deployments/mlp-cloud/revisions"));
    long active = 0;
    for (JsonNode r : revisions.get("items")) {
      if (r.get("status").asText().equals("ACTIVE")) {
        active++;
        assertThat(r.get("number").asLong())
            .isEqualTo(deployment.get("stable").get("number").asLong());
      }
    }
    assertThat(active).isEqualTo(1);
    Api client = api;
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              Api.Response r = client.post("/v2/models/mlp/infer", TestCloud.INFER_BODY);
              assertThat(r.status()).as(r.body()).isEqualTo(200);
              assertThat(r.json().get("model_version").asLong()).isEqualTo(stable);
            });
    assertThat(api.get("/api/v1/cloud/status").json().get("models").get(0).get("state").asText())
        .isEqualTo("READY");
    assertThat(hidden(data("cloud-models"))).isEmpty();
    assertThat(count(data("artifacts/tmp"))).isZero();
    // and it goes on deploying
    long other = stable == versions[0] ? versions[1] : versions[0];
    api.expect(200, deploy(api, other));
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                client
                        .post("/v2/models/mlp/infer", TestCloud.INFER_BODY)
                        .json()
                        .get("model_version")
                        .asLong()
                    == other);
  }

  private static Api.Response deploy(Api api, long version) {
    return api.put(
        "/api/v1/deployments/mlp-cloud",
        Map.of(
            "model", "mlp",
            "version", version,
            "variant", "fp32",
            "target", "CLOUD",
            "selector", "",
            "strategy", Map.of("type", "all-at-once"),
            "policy", Map.of("type", "edge-only")));
  }

  private static long publish(Api api, byte[] onnx) {
    if (api.get("/api/v1/models/mlp").status() == 404) {
      api.expect(201, api.post("/api/v1/models", Map.of("name", "mlp")));
    }
    String sha = api.expect(201, api.upload(onnx, Map.of())).get("sha256").asText();
    long v = api.expect(201, api.post("/api/v1/models/mlp/versions", null)).get("version").asLong();
    api.expect(
        201,
        api.post(
            "/api/v1/models/mlp/versions/" + v + "/variants",
            Map.of("name", "fp32", "format", "onnx", "sha256", sha, "signature", Map.of())));
    return v;
  }
}
