package dev.strata.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.strata.api.Artifact;
import dev.strata.api.Deployment;
import dev.strata.api.Model;
import dev.strata.api.ModelVersion;
import dev.strata.api.Node;
import dev.strata.api.Revision;
import dev.strata.api.RevisionStatus;
import dev.strata.api.Selector;
import dev.strata.api.Variant;
import dev.strata.registry.db.DatabaseConfig;
import dev.strata.registry.db.Sql;
import dev.strata.registry.testing.TestDb;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Kills a registry process with SIGKILL in the middle of an artifact upload and in the middle of
 * deployment changes, then reopens the registry and checks nothing partial is left.
 */
@ParameterizedClass
@EnumSource(TestDb.class)
class CrashConsistencyIT {
  @Parameter TestDb db;
  @TempDir Path dir;
  DatabaseConfig dbConfig;
  Process child;

  @AfterEach
  void cleanUp() {
    if (child != null) {
      child.destroyForcibly();
    }
    if (dbConfig != null) {
      TestDb.drop(dbConfig);
    }
  }

  private void start(String mode) throws IOException {
    dbConfig = db.config(dir);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> cmd =
        new ArrayList<>(
            List.of(
                java,
                "-Xmx256m",
                "-cp",
                cp,
                CrashTarget.class.getName(),
                mode,
                dir.toString(),
                dbConfig.url()));
    dbConfig.schema().ifPresent(cmd::add);
    child =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("child.log").toFile())
            .start();
  }

  private void awaitFile(String name, Duration timeout) {
    await()
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              assertThat(child.isAlive()).as("child alive; log: %s", log()).isTrue();
              return Files.exists(dir.resolve(name));
            });
  }

  private String log() {
    try {
      return Files.readString(dir.resolve("child.log"));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  private void kill() throws InterruptedException {
    child.destroyForcibly(); // SIGKILL: no shutdown hooks, no finally blocks
    child.waitFor();
  }

  private Registry reopen() {
    return Registry.open(
        CrashTarget.config(dir, dbConfig.url(), dbConfig.schema()), Clock.systemUTC());
  }

  private static long filesIn(Path p) throws IOException {
    try (Stream<Path> s = Files.list(p)) {
      return s.count();
    }
  }

  @Test
  void killedDuringAnUploadLeavesNoPartialArtifact() throws Exception {
    start("upload");
    awaitFile("uploading", Duration.ofSeconds(60));
    kill();
    Path tmp = dir.resolve("artifacts").resolve("tmp");
    assertThat(filesIn(tmp)).as("the kill left a partial upload behind to clean").isEqualTo(1);
    try (Registry r = reopen()) {
      assertThat(filesIn(tmp)).isZero();
      Artifact complete =
          r.models()
              .uploadArtifact(
                  new java.io.ByteArrayInputStream("a complete artifact".getBytes()),
                  Optional.empty());
      try (Stream<Path> objects = Files.walk(dir.resolve("artifacts").resolve("sha256"))) {
        assertThat(objects.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
            .containsExactly(complete.sha256());
      }
    }
  }

  @Test
  void killedDuringDeploymentChangesLeavesEveryDeploymentWhole() throws Exception {
    start("deploy");
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              assertThat(child.isAlive()).as("child alive; log: %s", log()).isTrue();
              Path p = dir.resolve("progress");
              return Files.exists(p) && Long.parseLong(Files.readString(p).trim()) >= 3;
            });
    kill();
    try (Registry r = reopen()) {
      assertConsistent(r);
    }
  }

  @Test
  void killedInsideADeploymentTransactionLeavesNoTrace() throws Exception {
    start("hang");
    awaitFile("hanging", Duration.ofSeconds(60));
    kill();
    try (Registry r = reopen()) {
      assertConsistent(r);
      Deployment d = r.deployments().get("d");
      assertThat(d.stable()).map(Revision::number).contains(1L);
      assertThat(r.deployments().history("d"))
          .extracting(Revision::status)
          .containsExactly(RevisionStatus.ACTIVE);
      long next =
          r.database()
              .read(
                  c ->
                      Sql.queryOne(
                              c,
                              "SELECT next_revision FROM deployments WHERE name = 'd'",
                              rs -> rs.getLong(1))
                          .orElseThrow());
      assertThat(next).isEqualTo(2);
    }
  }

  /** The invariants a deployment keeps between transactions. */
  static void assertConsistent(Registry r) {
    for (Model m : r.models().models()) {
      for (ModelVersion v : r.models().versions(m.name())) {
        for (Variant variant : v.variants()) {
          assertThat(r.models().artifact(variant.sha256()).size()).isEqualTo(variant.size());
        }
      }
    }
    List<Deployment> all = r.deployments().list();
    assertThat(all).isNotEmpty();
    for (Deployment d : all) {
      List<Revision> history = r.deployments().history(d.name());
      long active = history.stream().filter(x -> x.status() == RevisionStatus.ACTIVE).count();
      long canary = history.stream().filter(x -> x.status() == RevisionStatus.CANARY).count();
      assertThat(active)
          .as("%s active revisions", d.name())
          .isEqualTo(d.stable().isPresent() ? 1 : 0);
      assertThat(canary)
          .as("%s canary revisions", d.name())
          .isEqualTo(d.canary().isPresent() ? 1 : 0);
      d.stable().ifPresent(s -> assertThat(s.status()).isEqualTo(RevisionStatus.ACTIVE));
      d.canary()
          .ifPresent(
              c -> {
                assertThat(c.status()).isEqualTo(RevisionStatus.CANARY);
                assertThat(d.canaryNodes()).isNotEmpty();
              });
      long next =
          r.database()
              .read(
                  c ->
                      Sql.queryOne(
                              c,
                              "SELECT next_revision FROM deployments WHERE name = ?",
                              rs -> rs.getLong(1),
                              d.name())
                          .orElseThrow());
      assertThat(history.getFirst().number()).isEqualTo(next - 1);
    }
    for (Node n : r.fleet().nodes(Selector.ALL)) {
      assertThat(r.deployments().desiredStateFor(n.id()).models()).isNotEmpty();
    }
  }
}
