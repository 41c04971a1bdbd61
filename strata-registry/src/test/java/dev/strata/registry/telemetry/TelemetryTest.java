package dev.strata.registry.telemetry;

import static dev.strata.registry.StrataAssertions.assertCode;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.strata.api.CreateEnrollmentTokenRequest;
import dev.strata.api.DeploymentSpec;
import dev.strata.api.DeploymentTelemetry;
import dev.strata.api.LatencySummary;
import dev.strata.api.NodeTelemetry;
import dev.strata.api.Selector;
import dev.strata.api.StoredTelemetry;
import dev.strata.api.TelemetryQuery;
import dev.strata.api.TelemetrySummary;
import dev.strata.api.TelemetryWindow;
import dev.strata.api.Variant;
import dev.strata.control.EnrollRequest;
import dev.strata.control.Health;
import dev.strata.control.Heartbeat;
import dev.strata.control.LatencyHistogram;
import dev.strata.control.TelemetryRecord;
import dev.strata.core.ErrorCode;
import dev.strata.registry.Registry;
import dev.strata.registry.RegistryFixture;
import dev.strata.registry.TestModels;
import dev.strata.registry.auth.NodePrincipal;
import dev.strata.registry.testing.TestDb;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Telemetry from heartbeats: stored once, gaps counted, aggregated, pruned after retention. */
@ParameterizedClass
@EnumSource(TestDb.class)
class TelemetryTest {
  private static final List<Long> BOUNDS = LatencyHistogram.DEFAULT_BOUNDS_MICROS;

  @Parameter TestDb db;
  @TempDir Path dir;
  RegistryFixture fx;
  Registry registry;
  TelemetryService telemetry;
  Instant t0;

  @BeforeEach
  void open() {
    fx = new RegistryFixture(db, dir);
    registry = fx.registry();
    telemetry = registry.telemetry();
    t0 = fx.clock.instant();
    Variant v = TestModels.newVersion(registry.models(), "m", "int8", "weights");
    registry
        .deployments()
        .apply("det", DeploymentSpec.edge("m", v.version(), "int8", Selector.parse("")));
  }

  @AfterEach
  void close() {
    if (fx != null) { // null when the fixture could not open
      fx.close();
    }
  }

  private NodePrincipal enroll(String name) {
    String token =
        registry.fleet().createEnrollmentToken(CreateEnrollmentTokenRequest.forNode(name)).token();
    String credential =
        registry.nodes().enroll(new EnrollRequest(token, name, Map.of())).credential();
    return registry.authenticator().requireNode(credential);
  }

  private void beat(NodePrincipal node, TelemetryRecord... records) {
    registry.nodes().heartbeat(node, heartbeat(List.of(records)));
  }

  private static Heartbeat heartbeat(List<TelemetryRecord> records) {
    return new Heartbeat(
        "1.0", Health.HEALTHY, List.of(), 0, 0, 0, 0, Map.of(), Optional.empty(), records);
  }

  /** A record of {@code requests} latencies spread as {@code counts} over the default bounds. */
  private TelemetryRecord record(
      long sequence,
      String deployment,
      Duration endAgo,
      long requests,
      long errors,
      long escalations,
      long fallbacks,
      long sum,
      long max,
      long... counts) {
    List<Long> all = new ArrayList<>(LongStream.of(counts).boxed().toList());
    while (all.size() < BOUNDS.size() + 1) {
      all.add(0L);
    }
    Instant end = fx.clock.instant().minus(endAgo);
    return new TelemetryRecord(
        sequence,
        deployment,
        1,
        end.minusSeconds(10),
        end,
        requests,
        errors,
        escalations,
        fallbacks,
        new LatencyHistogram(BOUNDS, all, sum, max));
  }

  private TelemetryRecord simple(long sequence, String deployment, long requests) {
    return record(sequence, deployment, Duration.ofMinutes(1), requests, 0, 0, 0, 50, 90, requests);
  }

  private static List<Long> sequences(List<StoredTelemetry> records) {
    return records.stream().map(StoredTelemetry::sequence).toList();
  }

  @Test
  void aRecordSentAgainIsStoredOnce() {
    NodePrincipal node = enroll("gw-1");
    beat(node, simple(1, "det", 5), simple(2, "det", 7));
    // the answer was lost: 2 comes again (as the node resends it, unchanged) with 3
    beat(node, simple(2, "det", 7), simple(3, "det", 1));
    beat(node, simple(3, "det", 1));

    List<StoredTelemetry> records = telemetry.records(node.id(), TelemetryQuery.lastHour());
    assertThat(sequences(records)).containsExactly(1L, 2L, 3L);
    assertThat(records).extracting(StoredTelemetry::requests).containsExactly(5L, 7L, 1L);
    assertThat(records.getFirst().nodeId()).isEqualTo(node.id());
    assertThat(records.getFirst().receivedAt()).isEqualTo(fx.clock.instant());
    DeploymentTelemetry d = telemetry.deployment("det", TelemetryWindow.LAST_HOUR);
    assertThat(d.total().requests()).isEqualTo(13);
    assertThat(d.total().records()).isEqualTo(3);
    assertThat(d.total().lost()).isZero();
  }

  @Test
  void theNodesStatusLeavesTheRecordsOutAndSurvivesARestart() {
    NodePrincipal node = enroll("gw-1");
    beat(node, simple(1, "det", 5));
    assertThat(registry.fleet().node(node.id()).lastHeartbeat().orElseThrow().telemetry())
        .isEmpty();
    registry.fleet().flush();
    registry = fx.reopen();
    assertThat(registry.fleet().node(node.id()).lastHeartbeat().orElseThrow().telemetry())
        .isEmpty();
    assertThat(sequences(registry.telemetry().records(node.id(), TelemetryQuery.lastHour())))
        .containsExactly(1L);
  }

  @Test
  void recordsOfAnInvalidDeploymentNameAreDroppedNotTheHeartbeat() {
    NodePrincipal node = enroll("gw-1");
    beat(node, simple(1, "det", 5), simple(2, "no such/name", 3), simple(3, "det", 1));
    assertThat(sequences(telemetry.records(node.id(), TelemetryQuery.lastHour())))
        .containsExactly(1L, 3L);
  }

  @Test
  void gapsInANodesSequenceAreLostRecordsWhateverTheirDeployment() {
    NodePrincipal a = enroll("gw-a");
    NodePrincipal b = enroll("gw-b");
    // a: 1 (det), 2 (other), 3 (det): nothing lost, though det itself has 1 and 3 only
    beat(a, simple(1, "det", 1), simple(2, "other", 1), simple(3, "det", 1));
    // b: its buffer overflowed while offline: 2-4 and 6 are gone
    beat(b, simple(1, "det", 1), simple(5, "det", 1), simple(7, "other", 1), simple(8, "det", 1));

    DeploymentTelemetry d = telemetry.deployment("det", TelemetryWindow.LAST_HOUR);
    assertThat(d.nodes())
        .extracting(NodeTelemetry::nodeId)
        .containsExactlyInAnyOrder(a.id(), b.id());
    assertThat(node(d, a.id()).summary().lost()).isZero();
    assertThat(node(d, b.id()).summary().lost()).isEqualTo(4);
    assertThat(d.total().lost()).isEqualTo(4);
    assertThat(node(d, b.id()).nodeName()).contains("gw-b");
  }

  @Test
  void aNodeEnrolledAnewNumbersFromOneAgain() {
    NodePrincipal first = enroll("gw-1");
    beat(first, simple(1, "det", 5), simple(2, "det", 5));
    fx.clock.advance(Duration.ofSeconds(1));
    // its data wiped, the device enrolls again under its name: same node, sequences from 1
    NodePrincipal again = enroll("gw-1");
    assertThat(again.id()).isEqualTo(first.id());
    beat(again, simple(1, "det", 3));

    assertThat(sequences(telemetry.records(first.id(), TelemetryQuery.lastHour())))
        .containsExactlyInAnyOrder(1L, 1L, 2L);
    DeploymentTelemetry d = telemetry.deployment("det", TelemetryWindow.LAST_HOUR);
    assertThat(d.total().requests()).isEqualTo(13);
    assertThat(d.total().lost()).isZero();
  }

  private static NodeTelemetry node(DeploymentTelemetry d, String id) {
    return d.nodes().stream().filter(n -> n.nodeId().equals(id)).findFirst().orElseThrow();
  }

  @Test
  void aggregateFiguresMatchTheHandComputedOnes() {
    NodePrincipal a = enroll("gw-a");
    NodePrincipal b = enroll("gw-b");
    Duration ago = Duration.ofMinutes(5);
    // a: 5 <= 100us, 3 <= 250us, 2 <= 1ms; then 9 <= 500us and one over 10 s (12 s)
    beat(
        a,
        record(1, "det", ago, 10, 1, 4, 1, 3_000, 900, 5, 3, 0, 2),
        record(
            2,
            "det",
            ago,
            10,
            0,
            1,
            0,
            12_003_000,
            12_000_000,
            0,
            0,
            9,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            1));
    // b: 20 <= 2.5ms (largest 2 ms), 100 of another deployment, 10 <= 250us
    beat(
        b,
        record(1, "det", ago, 20, 1, 5, 2, 40_000, 2_000, 0, 0, 0, 0, 20),
        record(2, "other", ago, 100, 0, 0, 0, 100, 1, 100),
        record(3, "det", ago, 10, 0, 0, 0, 1_500, 200, 0, 10));
    // an interval that ended two hours ago is outside the default window
    beat(a, record(3, "det", Duration.ofHours(2), 1000, 0, 0, 0, 1, 1, 1000));

    DeploymentTelemetry d = telemetry.deployment("det", TelemetryWindow.LAST_HOUR);
    assertThat(d.deployment()).isEqualTo("det");
    assertThat(d.from()).isEqualTo(fx.clock.instant().minus(Duration.ofHours(1)));
    assertThat(d.to()).isEmpty();
    TelemetrySummary total = d.total();
    assertThat(total.records()).isEqualTo(4);
    assertThat(total.requests()).isEqualTo(50);
    assertThat(total.errors()).isEqualTo(2);
    assertThat(total.escalations()).isEqualTo(10);
    assertThat(total.fallbacks()).isEqualTo(3);
    assertThat(total.errorShare()).isCloseTo(0.04, within(1e-12));
    assertThat(total.escalationShare()).isCloseTo(0.2, within(1e-12));
    // merged: <=100: 5, <=250: 13, <=500: 9, <=1000: 2, <=2500: 20, over 10 s: 1 (cumulative 5,
    // 18, 27, 29, 49, 50): p50 = rank 25 -> 500; p90 = rank 45 -> 2500; p99 = rank 50 -> the max
    assertThat(total.latency().count()).isEqualTo(50);
    assertThat(total.latency().p50Micros()).contains(500L);
    assertThat(total.latency().p90Micros()).contains(2_500L);
    assertThat(total.latency().p99Micros()).contains(12_000_000L);
    assertThat(total.latency().maxMicros()).contains(12_000_000L);
    assertThat(total.latency().meanMicros().orElseThrow())
        .isCloseTo((3_000 + 12_003_000 + 40_000 + 1_500) / 50.0, within(1e-9));
    // a alone: 5, 8, 17, 19, 20 over 20: p50 rank 10 -> 500, p90 rank 18 -> 1000, p99 -> max
    LatencySummary la = node(d, a.id()).summary().latency();
    assertThat(List.of(la.p50Micros(), la.p90Micros(), la.p99Micros()))
        .containsExactly(Optional.of(500L), Optional.of(1_000L), Optional.of(12_000_000L));
    assertThat(node(d, a.id()).summary().requests()).isEqualTo(20);
    assertThat(node(d, a.id()).summary().escalationShare()).isCloseTo(0.25, within(1e-12));
    // b alone: 10 <= 250, 20 <= 2500 but none over 2 ms: p50, p90, p99 clipped to 2000
    LatencySummary lb = node(d, b.id()).summary().latency();
    assertThat(List.of(lb.p50Micros(), lb.p90Micros(), lb.p99Micros()))
        .containsExactly(Optional.of(2_000L), Optional.of(2_000L), Optional.of(2_000L));
    assertThat(node(d, b.id()).summary().requests()).isEqualTo(30);

    // an explicit window that takes in the old interval too
    DeploymentTelemetry wide =
        telemetry.deployment(
            "det",
            new TelemetryWindow(
                Optional.of(fx.clock.instant().minus(Duration.ofHours(3))),
                Optional.of(fx.clock.instant())));
    assertThat(wide.total().requests()).isEqualTo(1050);
    assertThat(wide.total().records()).isEqualTo(5);
  }

  @Test
  void nodeRecordsFilteredByWindowDeploymentAndLimit() {
    NodePrincipal a = enroll("gw-a");
    beat(
        a,
        record(1, "det", Duration.ofHours(2), 1, 0, 0, 0, 1, 1, 1),
        simple(2, "other", 2),
        simple(3, "det", 3),
        simple(4, "det", 4));
    assertThat(sequences(telemetry.records(a.id(), TelemetryQuery.lastHour())))
        .containsExactly(2L, 3L, 4L);
    assertThat(
            sequences(
                telemetry.records(
                    a.id(),
                    new TelemetryQuery(TelemetryWindow.LAST_HOUR, Optional.of("det"), 1000))))
        .containsExactly(3L, 4L);
    TelemetryWindow all =
        new TelemetryWindow(Optional.of(t0.minus(Duration.ofDays(1))), Optional.empty());
    assertThat(sequences(telemetry.records(a.id(), new TelemetryQuery(all, Optional.empty(), 2))))
        .containsExactly(1L, 2L);
    TelemetryWindow old =
        new TelemetryWindow(Optional.empty(), Optional.of(t0.minus(Duration.ofMinutes(90))));
    assertThat(sequences(telemetry.records(a.id(), new TelemetryQuery(old, Optional.empty(), 10))))
        .containsExactly(1L);
  }

  @Test
  void unknownNodesAndDeploymentsAreNotFound() {
    assertCode(
        () -> telemetry.records("n-nope", TelemetryQuery.lastHour()),
        ErrorCode.NOT_FOUND,
        "n-nope");
    assertCode(
        () -> telemetry.deployment("nope", TelemetryWindow.LAST_HOUR),
        ErrorCode.NOT_FOUND,
        "deployment nope");
    // a deployment without telemetry yet: zeros, no percentiles
    DeploymentTelemetry empty = telemetry.deployment("det", TelemetryWindow.LAST_HOUR);
    assertThat(empty.nodes()).isEmpty();
    assertThat(empty.total().requests()).isZero();
    assertThat(empty.total().latency().p50Micros()).isEmpty();
    // a deployment removed since answers while its records are kept
    NodePrincipal a = enroll("gw-a");
    beat(a, simple(1, "det", 4));
    registry.deployments().delete("det");
    assertThat(telemetry.deployment("det", TelemetryWindow.LAST_HOUR).total().requests())
        .isEqualTo(4);
  }

  @Test
  void badQueriesAreRefused() {
    assertCode(
        () -> new TelemetryQuery(TelemetryWindow.LAST_HOUR, Optional.empty(), 0),
        ErrorCode.INVALID_ARGUMENT,
        "limit: 0");
    assertCode(
        () -> new TelemetryWindow(Optional.of(t0), Optional.of(t0)),
        ErrorCode.INVALID_ARGUMENT,
        "to:");
  }

  @Test
  void recordsReceivedBeforeTheRetentionPeriodArePruned() {
    NodePrincipal a = enroll("gw-a");
    beat(a, simple(1, "det", 1));
    fx.clock.advance(Duration.ofDays(6));
    beat(a, simple(2, "det", 2));
    assertThat(telemetry.prune()).isZero();
    fx.clock.advance(Duration.ofDays(2)); // the first is 8 days old, the second 2
    assertThat(telemetry.prune()).isEqualTo(1);
    TelemetryWindow all =
        new TelemetryWindow(Optional.of(t0.minus(Duration.ofDays(30))), Optional.empty());
    assertThat(sequences(telemetry.records(a.id(), new TelemetryQuery(all, Optional.empty(), 100))))
        .containsExactly(2L);
    assertThat(telemetry.prune()).isZero();
  }

  @Test
  void concurrentHeartbeatsStoreEveryRecordOnce() throws Exception {
    int nodes = 4;
    int beats = 40;
    List<NodePrincipal> principals = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      principals.add(enroll("gw-" + i));
    }
    ExecutorService pool = Executors.newFixedThreadPool(nodes * 2);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (NodePrincipal p : principals) {
        // two threads per node send overlapping batches, as a node retrying would
        for (int t = 0; t < 2; t++) {
          fs.add(
              pool.submit(
                  () -> {
                    for (int s = 1; s <= beats; s++) {
                      beat(p, simple(s, "det", 1), simple(s + 1, "det", 1));
                    }
                  }));
        }
      }
      for (Future<?> f : fs) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    DeploymentTelemetry d = telemetry.deployment("det", TelemetryWindow.LAST_HOUR);
    assertThat(d.total().records()).isEqualTo((long) nodes * (beats + 1));
    assertThat(d.total().requests()).isEqualTo((long) nodes * (beats + 1));
    assertThat(d.total().lost()).isZero();
  }
}
