package dev.strata.registry.fleet;

import static dev.strata.registry.StrataAssertions.assertCode;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.api.CreateEnrollmentTokenRequest;
import dev.strata.api.FleetSummary;
import dev.strata.api.IssuedEnrollmentToken;
import dev.strata.api.Node;
import dev.strata.api.NodeState;
import dev.strata.api.Selector;
import dev.strata.control.DeploymentCounters;
import dev.strata.control.EnrollRequest;
import dev.strata.control.Enrollment;
import dev.strata.control.Health;
import dev.strata.control.Heartbeat;
import dev.strata.control.LoadState;
import dev.strata.control.LoadedModel;
import dev.strata.core.ErrorCode;
import dev.strata.registry.RegistryFixture;
import dev.strata.registry.auth.NodePrincipal;
import dev.strata.registry.testing.TestDb;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

@ParameterizedClass
@EnumSource(TestDb.class)
class FleetTest {
  @Parameter TestDb db;
  @TempDir Path dir;
  RegistryFixture fx;
  FleetService fleet;

  @BeforeEach
  void open() {
    fx = new RegistryFixture(db, dir);
    fleet = fx.registry().fleet();
  }

  @AfterEach
  void close() {
    if (fx != null) { // null when the fixture could not open
      fx.close();
    }
  }

  private Enrollment enroll(String name, Map<String, String> tokenLabels) {
    String token =
        fleet.createEnrollmentToken(CreateEnrollmentTokenRequest.withLabels(tokenLabels)).token();
    return fleet.enroll(new EnrollRequest(token, name, Map.of("arch", "arm64", "site", "unknown")));
  }

  private NodePrincipal principal(Enrollment e) {
    return fleet.authenticateNode(e.credential()).orElseThrow();
  }

  @Test
  void enrollmentTokenWorksOnceAndGivesTheNodeItsLabels() {
    IssuedEnrollmentToken t =
        fleet.createEnrollmentToken(
            new CreateEnrollmentTokenRequest(
                "shanghai gateways", Map.of("site", "shanghai"), Optional.empty()));
    assertThat(t.token()).startsWith("ste_" + t.info().id() + ".");
    Enrollment e =
        fleet.enroll(new EnrollRequest(t.token(), "gw-1", Map.of("site", "x", "arch", "arm64")));
    assertThat(e.labels()).containsEntry("site", "shanghai").containsEntry("arch", "arm64");
    assertThat(e.credential()).startsWith("stn_" + e.nodeId() + ".");
    assertThat(e.manifestPublicKey()).isEqualTo(fx.registry().signer().publicKeyBase64());
    assertCode(
        () -> fleet.enroll(new EnrollRequest(t.token(), "gw-2", Map.of())),
        ErrorCode.UNAUTHENTICATED,
        "already used");
    assertThat(fleet.enrollmentTokens())
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.nodeId()).contains(e.nodeId());
              assertThat(x.usedAt()).isPresent();
            });
    assertThat(fleet.authenticateNode(e.credential()))
        .contains(new NodePrincipal(e.nodeId(), "gw-1"));
    assertThat(fleet.authenticateNode(e.credential() + "x")).isEmpty();
    assertThat(fleet.authenticateNode("stn_" + e.nodeId() + ".wrong")).isEmpty();
  }

  @Test
  void concurrentEnrollmentsWithOneTokenYieldOneNode() throws Exception {
    String token =
        fleet.createEnrollmentToken(CreateEnrollmentTokenRequest.withLabels(Map.of())).token();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Enrollment>> results = new java.util.ArrayList<>();
      for (int i = 0; i < 4; i++) {
        String name = "racer-" + i;
        results.add(pool.submit(() -> fleet.enroll(new EnrollRequest(token, name, Map.of()))));
      }
      int ok = 0;
      for (Future<Enrollment> f : results) {
        try {
          f.get();
          ok++;
        } catch (java.util.concurrent.ExecutionException e) {
          assertThat(e.getCause()).hasMessageContaining("already used");
        }
      }
      assertThat(ok).isEqualTo(1);
      assertThat(fleet.nodes(Selector.ALL)).hasSize(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void expiredAndForgedTokensAreRefused() {
    IssuedEnrollmentToken t =
        fleet.createEnrollmentToken(
            new CreateEnrollmentTokenRequest("", Map.of(), Optional.of(Duration.ofMinutes(5))));
    fx.clock.advance(Duration.ofMinutes(6));
    assertCode(
        () -> fleet.enroll(new EnrollRequest(t.token(), "late", Map.of())),
        ErrorCode.UNAUTHENTICATED,
        "expired");
    assertCode(
        () -> fleet.enroll(new EnrollRequest("ste_" + t.info().id() + ".forged", "n", Map.of())),
        ErrorCode.UNAUTHENTICATED,
        "unknown");
    assertCode(
        () -> fleet.enroll(new EnrollRequest("garbage", "n", Map.of())),
        ErrorCode.UNAUTHENTICATED,
        "malformed");
    assertThat(fleet.nodes(Selector.ALL)).isEmpty();
  }

  @Test
  void reEnrollingANameWithATokenForItRotatesItsCredential() {
    Enrollment first = enroll("gw-1", Map.of());
    String forIt =
        fleet
            .createEnrollmentToken(
                new CreateEnrollmentTokenRequest(
                    "", Map.of("tier", "gateway"), Optional.empty(), Optional.of("gw-1")))
            .token();
    Enrollment second = fleet.enroll(new EnrollRequest(forIt, "gw-1", Map.of()));
    assertThat(second.nodeId()).isEqualTo(first.nodeId());
    assertThat(fleet.authenticateNode(first.credential())).isEmpty();
    assertThat(fleet.authenticateNode(second.credential())).isPresent();
    assertThat(fleet.node(first.nodeId()).labels()).containsEntry("tier", "gateway");
  }

  @Test
  void aSpareTokenCannotTakeOverAnEnrolledNode() {
    Enrollment real = enroll("gw-1", Map.of());
    String spare =
        fleet.createEnrollmentToken(CreateEnrollmentTokenRequest.withLabels(Map.of())).token();
    assertCode(
        () -> fleet.enroll(new EnrollRequest(spare, "gw-1", Map.of())),
        ErrorCode.ALREADY_EXISTS,
        "node gw-1: already enrolled");
    assertThat(fleet.authenticateNode(real.credential())).isPresent();
    // refused without being used up: it still enrolls a new node
    assertThat(fleet.enroll(new EnrollRequest(spare, "gw-2", Map.of())).name()).isEqualTo("gw-2");

    String forOther =
        fleet.createEnrollmentToken(CreateEnrollmentTokenRequest.forNode("gw-3")).token();
    assertCode(
        () -> fleet.enroll(new EnrollRequest(forOther, "gw-1", Map.of())),
        ErrorCode.PERMISSION_DENIED,
        "issued for node gw-3");
    assertThat(fleet.authenticateNode(real.credential())).isPresent();
    assertThat(fleet.enrollmentTokens())
        .filteredOn(t -> t.node().isPresent())
        .singleElement()
        .satisfies(t -> assertThat(t.usedAt()).isEmpty());
  }

  @Test
  void livenessFollowsHeartbeatAge() {
    Enrollment e = enroll("gw-1", Map.of());
    assertThat(fleet.node(e.nodeId()).state()).isEqualTo(NodeState.OFFLINE);
    fleet.heartbeat(principal(e), Heartbeat.healthy("1.0"));
    assertThat(fleet.node(e.nodeId()).state()).isEqualTo(NodeState.ONLINE);
    fx.clock.advance(Duration.ofSeconds(31));
    assertThat(fleet.node(e.nodeId()).state()).isEqualTo(NodeState.STALE);
    assertThat(fleet.summary()).isEqualTo(new FleetSummary(1, 0, 1, 0));
    fx.clock.advance(Duration.ofMinutes(2));
    assertThat(fleet.node(e.nodeId()).state()).isEqualTo(NodeState.OFFLINE);
    fleet.heartbeat(principal(e), Heartbeat.healthy("1.0"));
    assertThat(fleet.node(e.nodeId()).state()).isEqualTo(NodeState.ONLINE);
  }

  @Test
  void heartbeatsSurviveARestartOnceFlushedAndIdentityAlways() {
    Enrollment a = enroll("gw-a", Map.of("site", "shanghai"));
    Enrollment b = enroll("gw-b", Map.of());
    var hb =
        new Heartbeat(
            "1.2.3",
            Health.DEGRADED,
            List.of(
                new LoadedModel(
                    Optional.of("d"), 1, "m", 1, "int8", LoadState.READY, Optional.empty())),
            7,
            55.5,
            100,
            1000,
            Map.of("d", new DeploymentCounters(1, 10, 1, 2)),
            Optional.of("etag"));
    fleet.heartbeat(principal(a), hb);
    assertThat(fleet.flush()).isEqualTo(1);
    fleet.heartbeat(principal(b), Heartbeat.healthy("9")); // not flushed: lost by the "crash"
    fleet = fx.reopen().fleet();
    Node na = fleet.node(a.nodeId());
    assertThat(na.lastHeartbeat()).contains(hb);
    assertThat(na.labels()).containsEntry("site", "shanghai");
    // close() flushes, so b's heartbeat was kept as well
    assertThat(fleet.node(b.nodeId()).lastHeartbeat()).isPresent();
    assertThat(fleet.authenticateNode(a.credential())).isPresent();
  }

  @Test
  void labelsSelectorsAndRemoval() {
    Enrollment a = enroll("gw-a", Map.of("site", "shanghai", "tier", "gateway"));
    Enrollment b = enroll("gw-b", Map.of("site", "beijing"));
    assertThat(fleet.nodes(Selector.parse("site=shanghai,tier=gateway")))
        .extracting(Node::name)
        .containsExactly("gw-a");
    long before = fleet.membershipVersion();
    fleet.updateLabels(b.nodeId(), Map.of("site", "shanghai", "tier", "gateway"));
    assertThat(fleet.membershipVersion()).isGreaterThan(before);
    assertThat(fleet.nodes(Selector.parse("site in (shanghai)")))
        .extracting(Node::name)
        .containsExactly("gw-a", "gw-b");
    assertThat(fleet.nodeNamed("gw-b").id()).isEqualTo(b.nodeId());
    fleet.deleteNode(a.nodeId());
    assertThat(fleet.authenticateNode(a.credential())).isEmpty();
    assertCode(
        () -> fleet.heartbeat(new NodePrincipal(a.nodeId(), "gw-a"), Heartbeat.healthy("1")),
        ErrorCode.UNAUTHENTICATED,
        "no longer enrolled");
    assertCode(() -> fleet.node(a.nodeId()), ErrorCode.NOT_FOUND, a.nodeId());
    assertThat(fx.reopen().fleet().nodes(Selector.ALL))
        .extracting(Node::name)
        .containsExactly("gw-b");
  }

  @Test
  void invalidHeartbeatsAreRefused() {
    assertCode(
        () ->
            new Heartbeat("1", Health.HEALTHY, List.of(), -1, 0, 0, 0, Map.of(), Optional.empty()),
        ErrorCode.INVALID_ARGUMENT,
        "queueDepth: -1");
    assertCode(
        () ->
            new Heartbeat("1", Health.HEALTHY, List.of(), 0, 101, 0, 0, Map.of(), Optional.empty()),
        ErrorCode.INVALID_ARGUMENT,
        "cpuPercent: 101");
    assertCode(
        () -> new DeploymentCounters(1, 1, 2, 0), ErrorCode.INVALID_ARGUMENT, "errors <= requests");
  }
}
