package dev.strata.registry;

import dev.strata.api.CreateEnrollmentTokenRequest;
import dev.strata.api.DeploymentSpec;
import dev.strata.api.RolloutStrategy;
import dev.strata.api.Selector;
import dev.strata.api.Variant;
import dev.strata.control.EnrollRequest;
import dev.strata.core.AtomicFiles;
import dev.strata.registry.db.DatabaseConfig;
import dev.strata.registry.db.Sql;
import dev.strata.registry.deploy.DeploymentService;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/**
 * The process {@code CrashConsistencyIT} kills with SIGKILL: it opens a registry and does one kind
 * of work forever, leaving marker files so the test knows when to kill it.
 *
 * <p>Arguments: {@code MODE DATA_DIR JDBC_URL [SCHEMA]}; modes {@code upload} (streams an endless
 * artifact), {@code deploy} (changes deployments in a loop), {@code hang} (stops inside a write
 * transaction that has changed a deployment half-way).
 */
public final class CrashTarget {
  private CrashTarget() {}

  public static RegistryConfig config(Path dataDir, String url, Optional<String> schema) {
    DatabaseConfig db = DatabaseConfig.of(url);
    if (schema.isPresent()) {
      db = db.withSchema(schema.get());
    }
    return RegistryConfig.defaults(dataDir)
        .withDatabase(db)
        .withAdminToken(RegistryFixture.ADMIN_TOKEN)
        .withMaxArtifactBytes(1L << 40);
  }

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    Path dataDir = Path.of(args[1]);
    Optional<String> schema = args.length > 3 ? Optional.of(args[3]) : Optional.empty();
    Registry registry = Registry.open(config(dataDir, args[2], schema), Clock.systemUTC());
    switch (mode) {
      case "upload" -> upload(registry, dataDir);
      case "deploy" -> deploy(registry, dataDir);
      case "hang" -> hang(registry, dataDir);
      default -> throw new IllegalArgumentException(mode);
    }
  }

  private static void mark(Path dataDir, String name, String content) throws IOException {
    AtomicFiles.write(dataDir.resolve(name), content.getBytes(StandardCharsets.UTF_8));
  }

  private static void upload(Registry registry, Path dataDir) throws IOException {
    registry
        .models()
        .uploadArtifact(
            new ByteArrayInputStream("a complete artifact".getBytes(StandardCharsets.UTF_8)),
            Optional.empty());
    InputStream endless =
        new InputStream() {
          long sent;

          @Override
          public int read() {
            return 1;
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            if (sent > (1 << 20) && sent - len <= (1 << 20)) {
              CrashTarget.mark(dataDir, "uploading", "yes");
            }
            if (sent > (1 << 20)) {
              try {
                Thread.sleep(5); // a slow client: the kill lands mid-stream
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
            java.util.Arrays.fill(b, off, off + len, (byte) 1);
            sent += len;
            return len;
          }
        };
    registry.models().uploadArtifact(endless, Optional.empty());
    throw new IllegalStateException("the endless upload ended");
  }

  /** Sets up a model with two versions and four nodes; shared with the test's checks. */
  static void setUp(Registry registry) {
    Variant v1 = TestModels.newVersion(registry.models(), "m", "int8", "one");
    TestModels.newVersion(registry.models(), "m", "int8", "two");
    for (int i = 0; i < 4; i++) {
      String t =
          registry
              .fleet()
              .createEnrollmentToken(CreateEnrollmentTokenRequest.withLabels(Map.of("site", "s")))
              .token();
      registry.fleet().enroll(new EnrollRequest(t, "node-" + i, Map.of()));
    }
    registry.deployments().apply("d", DeploymentSpec.edge("m", v1.version(), "int8", Selector.ALL));
  }

  private static void deploy(Registry registry, Path dataDir) throws IOException {
    setUp(registry);
    DeploymentService deployments = registry.deployments();
    var one = DeploymentSpec.edge("m", 1, "int8", Selector.ALL);
    var two = DeploymentSpec.edge("m", 2, "int8", Selector.ALL);
    for (long i = 1; ; i++) {
      deployments.apply("d", two.withStrategy(RolloutStrategy.Canary.of(50, 0)));
      deployments.promote("d");
      deployments.rollback("d", "loop " + i);
      deployments.apply("d", two);
      deployments.apply("d", one);
      deployments.apply("e" + (i % 3), i % 2 == 0 ? one : two);
      mark(dataDir, "progress", Long.toString(i));
    }
  }

  private static void hang(Registry registry, Path dataDir) {
    setUp(registry);
    registry
        .database()
        .write(
            c -> {
              Sql.update(
                  c, "UPDATE deployments SET next_revision = next_revision + 1 WHERE name = 'd'");
              Sql.update(
                  c,
                  "INSERT INTO deployment_revisions (deployment, revision, model, version, variant,"
                      + " strategy, policy, hard_examples, status, reason, created_at, updated_at)"
                      + " SELECT deployment, 2, model, 2, variant, strategy, policy, hard_examples,"
                      + " 'ACTIVE', 'half', created_at, updated_at FROM deployment_revisions"
                      + " WHERE deployment = 'd' AND revision = 1");
              Sql.update(
                  c, "UPDATE deployment_revisions SET status = 'SUPERSEDED' WHERE revision = 1");
              try {
                mark(dataDir, "hanging", "yes");
                Thread.sleep(
                    Long.MAX_VALUE); // killed here, before the pointer moves and the commit
              } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
              }
              return null;
            });
  }
}
