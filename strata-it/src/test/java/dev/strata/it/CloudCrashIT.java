package dev.strata.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.strata.api.Artifact;
import dev.strata.api.Deployment;
import dev.strata.api.Model;
import dev.strata.api.Revision;
import dev.strata.registry.testing.TestDb;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code kill -9} of the cloud process in the middle of work, on SQLite and on PostgreSQL. During a
 * large artifact upload: after a restart no partial artifact is left in the store, the registry
 * lists what it held before, and the same upload then succeeds whole. During a stream of deployment
 * changes (canaries, their rollbacks, full roll-outs) with an edge attached: after a restart every
 * acknowledged change is there and nothing half-made is: revision numbers run without a gap,
 * exactly one revision is active and it is the stable one, a canary is there with its node or not
 * at all, the store holds only whole artifacts; the edge, which served every request throughout,
 * converges to what the registry says, and deployments go on.
 */
@ParameterizedClass
@EnumSource(TestDb.class)
@Timeout(240)
class CloudCrashIT {
  private static final int LARGE = 40 << 20;

  @RegisterExtension final Harness harness = new Harness();
  @Parameter TestDb database;

  @Test
  void killedDuringALargeUploadLeavesNoPartialArtifact() throws Exception {
    CloudProcess cloud = harness.cloud(database);
    ManagementClient admin = cloud.admin();
    byte[] small = Models.mlp(1);
    admin.publish("mlp", small);
    byte[] large = new byte[LARGE];
    new Random(7).nextBytes(large);
    String largeSha = ManagementClient.sha256(large);

    // the client sends half of it, then holds the rest back until the cloud is dead
    CountDownLatch cloudDead = new CountDownLatch(1);
    AtomicReference<Object> outcome = new AtomicReference<>();
    Thread upload =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    outcome.set(
                        admin
                            .api()
                            .uploadArtifact(
                                () -> new Gated(large, LARGE / 2, cloudDead), LARGE, largeSha));
                  } catch (RuntimeException e) {
                    outcome.set(e);
                  }
                });
    Path tmp = cloud.artifactStore().resolve("tmp");
    await("half the upload on the cloud's disk")
        .atMost(Duration.ofSeconds(60))
        .until(() -> largestFile(tmp) >= LARGE / 4);
    cloud.kill();
    cloudDead.countDown();
    upload.join(Duration.ofSeconds(30));
    assertThat(outcome.get())
        .as("the upload cannot have succeeded")
        .isInstanceOf(RuntimeException.class);
    assertThat(largestFile(tmp)).as("the kill left the partial upload behind").isPositive();

    cloud.start();
    assertThat(files(tmp)).as("partial uploads swept at start").isEmpty();
    assertThat(objects(cloud)).containsExactly(ManagementClient.sha256(small));
    assertThat(admin.api().hasArtifact(largeSha)).isFalse();
    assertThat(admin.api().models()).extracting(Model::name).containsExactly("mlp");
    assertThat(admin.api().variant("mlp", 1, "fp32").sha256())
        .isEqualTo(ManagementClient.sha256(small));

    Artifact stored =
        admin.api().uploadArtifact(() -> new ByteArrayInputStream(large), LARGE, largeSha);
    assertThat(stored.size()).isEqualTo(LARGE);
    Path file = objectPath(cloud, largeSha);
    assertThat(Files.size(file)).isEqualTo(LARGE);
    assertThat(ManagementClient.sha256(Files.readAllBytes(file))).isEqualTo(largeSha);
    assertThat(files(tmp)).isEmpty();
  }

  @Test
  void killedDuringDeploymentChangesLeavesAConsistentRegistry() throws Exception {
    CloudProcess cloud = harness.cloud(database);
    ManagementClient admin = cloud.admin();
    byte[][] bytes = {Models.mlp(1), Models.mlp(2)};
    long[] versions = {admin.publish("mlp", bytes[0]), admin.publish("mlp", bytes[1])};
    EdgeProcess edge = harness.edge("edge-1", cloud, Map.of());
    admin.apply("det", Spec.edge("mlp", versions[0]));
    Steps.awaitInSync(admin, "det", 1);
    String nodeId = edge.nodeId().orElseThrow();

    Load load = Load.start("mlp", List.of(edge.rest(), edge.grpc()));
    try (load) {
      // cycles of: a canary of the other version, its rollback, the other version all at once
      AtomicInteger revisionsAcknowledged = new AtomicInteger();
      AtomicInteger calls = new AtomicInteger();
      Thread changes =
          Thread.ofPlatform()
              .start(
                  () -> {
                    for (int step = 0; ; step++) {
                      long next = versions[(step / 3 + 1) % 2];
                      try {
                        switch (step % 3) {
                          case 0 -> {
                            admin.apply("det", Spec.edge("mlp", next).canary(100, 0, 1.0, 1000));
                            revisionsAcknowledged.incrementAndGet();
                          }
                          case 1 -> admin.rollback("det", "crash test");
                          default -> {
                            admin.apply("det", Spec.edge("mlp", next));
                            revisionsAcknowledged.incrementAndGet();
                          }
                        }
                        calls.incrementAndGet();
                      } catch (RuntimeException e) {
                        return; // the cloud is gone
                      }
                    }
                  });
      await("deployment changes going on")
          .atMost(Duration.ofSeconds(60))
          .until(() -> calls.get() >= 10);
      cloud.kill();
      changes.join(Duration.ofSeconds(30));
      int acknowledged = revisionsAcknowledged.get();

      cloud.start();
      Deployment deployment = admin.deployment("det");
      Revision stable = deployment.stable().orElseThrow();
      assertThat(stable.version()).isIn(versions[0], versions[1]);
      boolean inCanary = deployment.canary().isPresent();
      List<Long> numbers = new ArrayList<>();
      Map<String, List<Long>> byStatus = new TreeMap<>();
      for (Revision r : admin.revisions("det")) {
        numbers.add(r.number());
        byStatus.computeIfAbsent(r.status().name(), k -> new ArrayList<>()).add(r.number());
      }
      assertThat(byStatus.get("ACTIVE")).containsExactly(stable.number());
      assertThat(byStatus)
          .as("%s", byStatus)
          .containsOnlyKeys(
              inCanary
                  ? List.of("ACTIVE", "CANARY", "SUPERSEDED", "ROLLED_BACK")
                  : List.of("ACTIVE", "SUPERSEDED", "ROLLED_BACK"));
      if (inCanary) {
        assertThat(byStatus.get("CANARY"))
            .containsExactly(deployment.canary().orElseThrow().number());
        assertThat(deployment.canaryNodes()).containsExactly(nodeId);
      }
      // revision 1, every acknowledged one, and at most the one in flight at the kill
      assertThat(numbers.size()).isBetween(1 + acknowledged, 2 + acknowledged);
      assertThat(numbers).isSortedAccordingTo((x, y) -> Long.compare(y, x));
      assertThat(numbers.getFirst()).isEqualTo(numbers.size());
      assertThat(files(cloud.artifactStore().resolve("tmp"))).isEmpty();
      assertThat(objects(cloud))
          .containsExactlyInAnyOrder(
              ManagementClient.sha256(bytes[0]), ManagementClient.sha256(bytes[1]));

      // the edge, which served on its own meanwhile, comes back to what the registry says
      long desired = (inCanary ? deployment.canary().orElseThrow() : stable).version();
      Steps.awaitInSync(admin, "det", 1);
      Steps.awaitServing(edge, "mlp", desired);
      // and deployments go on from there
      if (inCanary) {
        admin.rollback("det", "after the crash");
      }
      long other = stable.version() == versions[0] ? versions[1] : versions[0];
      admin.apply("det", Spec.edge("mlp", other));
      Steps.awaitServing(edge, "mlp", other);
      Steps.awaitInSync(admin, "det", 1);
    }
    harness.record(load);
    assertThat(load.failures()).as("%s", load).isEmpty();
  }

  private static Path objectPath(CloudProcess cloud, String sha) {
    return cloud.artifactStore().resolve("sha256").resolve(sha.substring(0, 2)).resolve(sha);
  }

  /** The digests in the store's object directory. */
  private static List<String> objects(CloudProcess cloud) throws IOException {
    try (Stream<Path> s = Files.walk(cloud.artifactStore().resolve("sha256"))) {
      return s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).toList();
    }
  }

  private static List<Path> files(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    }
  }

  private static long largestFile(Path dir) throws IOException {
    long max = 0;
    for (Path p : files(dir)) {
      try {
        max = Math.max(max, Files.size(p));
      } catch (IOException gone) {
        // renamed or deleted meanwhile
      }
    }
    return max;
  }

  /** Gives {@code bytes} up to {@code gate}, then blocks until {@code open}, then fails. */
  private static final class Gated extends InputStream {
    private final byte[] bytes;
    private final int gate;
    private final CountDownLatch open;
    private int position;

    Gated(byte[] bytes, int gate, CountDownLatch open) {
      this.bytes = bytes;
      this.gate = gate;
      this.open = open;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (position >= gate) {
        try {
          open.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("upload interrupted");
        }
        throw new IOException("upload abandoned: the cloud was killed");
      }
      int n = Math.min(len, gate - position);
      System.arraycopy(bytes, position, b, off, n);
      position += n;
      return n;
    }
  }
}
