package dev.strata.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.strata.api.Deployment;
import dev.strata.api.Revision;
import dev.strata.api.RevisionStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Canaries of failing models are rolled back by the cloud on its own. Two edges serve version 1
 * under load; a canary on half the fleet (one edge) gets first a variant that cannot load (a
 * corrupt file the cloud signed like any other), then a variant that loads but fails at run time.
 * The first is rolled back on the canary's FAILED report, the second on its error rate; each time
 * the deployment's history shows the rollback with its reason, the stable revision stays, the
 * canary edge returns to version 1, and the edge outside the canary never fails a request nor sees
 * another version.
 */
@Timeout(240)
class CanaryRollbackIT {
  @RegisterExtension final Harness harness = new Harness();

  @Test
  void failingCanariesAreRolledBackAutomatically() {
    CloudProcess cloud = harness.cloud();
    ManagementClient admin = cloud.admin();
    long good = admin.publish("mlp", Models.mlp(1));
    long unloadable = admin.publish("mlp", Models.unloadable());
    long failing = admin.publish("mlp", Models.failsAtRunTime());
    EdgeProcess a = harness.edge("edge-a", cloud, Map.of("tier", "gateway"));
    EdgeProcess b = harness.edge("edge-b", cloud, Map.of("tier", "gateway"));
    admin.apply("det", Spec.edge("mlp", good).selector("tier=gateway"));
    Steps.awaitInSync(admin, "det", 2);
    Steps.awaitServing(a, "mlp", good);
    Steps.awaitServing(b, "mlp", good);

    Load onA = Load.start("mlp", List.of(a.rest(), a.grpc()));
    Load onB = Load.start("mlp", List.of(b.rest(), b.grpc()));
    try (onA;
        onB) {
      await("load on both edges")
          .atMost(Duration.ofSeconds(30))
          .until(() -> onA.ok() > 50 && onB.ok() > 50);

      // a canary that cannot load: rolled back on the canary node's FAILED report
      EdgeProcess canary = canary(admin, a, b, unloadable, 2);
      Revision rolledBack = awaitRolledBack(admin, 2);
      assertThat(rolledBack.reason()).contains("failed to load revision 2");
      assertThat(List.of(onA, onB)).allSatisfy(l -> assertThat(l.failures()).as("%s", l).isEmpty());
      Steps.awaitServing(canary, "mlp", good);

      // a canary that loads but fails its requests: rolled back on its error rate
      canary = canary(admin, a, b, failing, 3);
      Load onCanary = canary == a ? onA : onB;
      Load outside = canary == a ? onB : onA;
      rolledBack = awaitRolledBack(admin, 3);
      assertThat(rolledBack.reason()).contains("error rate");
      assertThat(onCanary.failures()).as("the canary's clients met the failing model").isNotEmpty();
      Steps.awaitServing(canary, "mlp", good);
      long settled = onCanary.ok();
      await("requests in flight at the switch done")
          .atMost(Duration.ofSeconds(30))
          .until(() -> onCanary.ok() > settled + 20);
      long failuresAtReturn = onCanary.failures().size();
      long okAtReturn = onCanary.ok();
      await("the canary serving version 1 again under load")
          .atMost(Duration.ofSeconds(30))
          .until(() -> onCanary.ok() > okAtReturn + 100);
      assertThat(onCanary.failures())
          .as("failures after the return")
          .hasSize((int) failuresAtReturn);
      assertThat(outside.failures()).as("%s", outside).isEmpty();
      assertThat(outside.versions()).as("%s", outside).containsOnlyKeys("" + good);
      assertThat(onCanary.versions()).as("%s", onCanary).doesNotContainKey("" + unloadable);
    }

    harness.record(onA);
    harness.record(onB);
    Deployment deployment = admin.deployment("det");
    assertThat(deployment.canary()).as("%s", deployment).isEmpty();
    assertThat(deployment.stable().orElseThrow().number()).isEqualTo(1);
    assertThat(deployment.stable().orElseThrow().version()).isEqualTo(good);
    assertThat(admin.revisions("det"))
        .extracting(Revision::status)
        .containsExactly(
            RevisionStatus.ROLLED_BACK, RevisionStatus.ROLLED_BACK, RevisionStatus.ACTIVE);
    Steps.awaitInSync(admin, "det", 2);
  }

  /**
   * Applies {@code version} as a canary on half the fleet (one edge): errors over 5% after 20
   * requests roll it back, 20 healthy heartbeats (5 s) would promote it. Returns the canary edge.
   */
  private static EdgeProcess canary(
      ManagementClient admin, EdgeProcess a, EdgeProcess b, long version, long revision) {
    Deployment d =
        admin.apply(
            "det", Spec.edge("mlp", version).selector("tier=gateway").canary(50, 20, 0.05, 20));
    assertThat(d.canary().orElseThrow().number()).isEqualTo(revision);
    assertThat(d.stable().orElseThrow().number()).isEqualTo(1);
    assertThat(d.canaryNodes()).hasSize(1);
    String id = d.canaryNodes().getFirst();
    return id.equals(a.nodeId().orElseThrow()) ? a : b;
  }

  /** Waits until revision {@code number} is rolled back; returns it. */
  private static Revision awaitRolledBack(ManagementClient admin, long number) {
    Revision[] revision = new Revision[1];
    await("revision " + number + " rolled back")
        .atMost(Steps.ROLLOUT)
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(
            () -> {
              Deployment d = admin.deployment("det");
              assertThat(d.canary()).as("%s", d).isEmpty();
              for (Revision r : admin.revisions("det")) {
                if (r.number() == number) {
                  revision[0] = r;
                }
              }
              assertThat(revision[0].status()).isEqualTo(RevisionStatus.ROLLED_BACK);
            });
    return revision[0];
  }
}
