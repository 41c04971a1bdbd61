package dev.strata.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.strata.api.StoredTelemetry;
import dev.strata.api.TelemetryQuery;
import dev.strata.api.TelemetrySummary;
import dev.strata.api.TelemetryWindow;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What an edge serves while its cloud is down reaches the cloud's telemetry once it is back: the
 * cloud process is killed, the edge answers a load on its own (each answer an {@code
 * edge-fallback}), its interval records wait on its disk; the cloud starts again on the same data,
 * and its deployment telemetry counts exactly the requests the edge answered, every one an
 * escalation that fell back, with no record lost and none counted twice.
 */
@Timeout(180)
class OfflineTelemetryIT {
  private static final int REQUESTS = 300;

  @RegisterExtension final Harness harness = new Harness();

  /** The edge's own count of the deployment's requests (since it loaded the revision). */
  private static long edgeCount(EdgeProcess edge) {
    return edge.status().get("deployments").get("det").get("requests").asLong();
  }

  private static TelemetrySummary total(ManagementClient admin) {
    return admin.api().deploymentTelemetry("det", TelemetryWindow.LAST_HOUR).total();
  }

  @Test
  void requestsServedWhileTheCloudWasDownAreCountedOnceItIsBack() {
    CloudProcess cloud = Steps.cloudWithInferenceAuth(harness);
    EdgeProcess edge = Steps.cascade(harness, cloud, List.of("--telemetry-interval", "300ms"));
    ManagementClient admin = cloud.admin();
    String nodeId = edge.nodeId().orElseThrow();

    // with the cloud up and the edge idle, the cloud's telemetry catches up with the edge's count
    long served = edgeCount(edge);
    await("the cloud's telemetry of det at " + served + " requests")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> total(admin).requests() == served);
    TelemetrySummary before = total(admin);

    cloud.kill();
    Load load = Load.start("mlp", List.of(edge.rest(), edge.grpc()));
    try (load) {
      await(REQUESTS + " answers without the cloud")
          .atMost(Duration.ofSeconds(60))
          .until(() -> load.ok() >= REQUESTS || !load.failures().isEmpty());
    }
    harness.record(load);
    assertThat(load.failures()).as("%s", load).isEmpty();
    assertThat(load.servedBy()).as("%s", load).containsOnlyKeys("edge-fallback");
    long offline = load.ok();
    assertThat(edgeCount(edge)).isEqualTo(served + offline);
    await("edge-1 keeping its records on disk")
        .atMost(Duration.ofSeconds(10))
        .until(() -> edge.status().get("telemetry").get("pendingBytes").asLong() > 0);
    Instant restart = Instant.now();

    cloud.start();
    long expected = served + offline;
    await("the cloud's telemetry of det at " + expected + " requests")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> total(admin).requests() >= expected);
    TelemetrySummary after = total(admin);
    assertThat(after.requests()).as("%s", after).isEqualTo(expected);
    // the cascade escalates every request; while the cloud was gone each fell back to the edge
    assertThat(after.escalations() - before.escalations()).isEqualTo(offline);
    assertThat(after.fallbacks() - before.fallbacks()).isEqualTo(offline);
    assertThat(after.errors()).isEqualTo(before.errors());
    assertThat(after.lost()).isZero();
    assertThat(after.latency().count()).isEqualTo(expected);
    await("edge-1 has nothing left to send")
        .atMost(Duration.ofSeconds(10))
        .until(() -> edge.status().get("telemetry").get("pendingBytes").asLong() == 0);

    // the node's records: numbered without a gap; those received after the restart hold exactly
    // the requests of the outage, in intervals that had ended before the cloud was back
    List<StoredTelemetry> items =
        admin
            .api()
            .nodeTelemetry(
                nodeId,
                new TelemetryQuery(
                    TelemetryWindow.LAST_HOUR, Optional.empty(), TelemetryQuery.MAX_LIMIT));
    List<Long> sequences = new ArrayList<>();
    long late = 0;
    boolean endedBefore = false;
    for (StoredTelemetry r : items) {
      sequences.add(r.sequence());
      if (!r.receivedAt().isBefore(restart)) {
        late += r.requests();
        endedBefore |= r.end().isBefore(restart);
      }
    }
    assertThat(sequences).isSorted().doesNotHaveDuplicates().startsWith(1L);
    assertThat(sequences.getLast()).isEqualTo((long) sequences.size());
    assertThat(late).as("requests in records received after the restart").isEqualTo(offline);
    assertThat(endedBefore).as("a record of the outage, sent late").isTrue();
  }
}
