package dev.strata.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
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

  private static JsonNode total(ManagementClient admin) {
    return admin.get("/api/v1/deployments/det/telemetry").expect(200).get("total");
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
        .until(() -> total(admin).get("requests").asLong() == served);
    JsonNode before = total(admin);

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
        .until(() -> total(admin).get("requests").asLong() >= expected);
    JsonNode after = total(admin);
    assertThat(after.get("requests").asLong()).as("%s", after).isEqualTo(expected);
    // the cascade escalates every request; while the cloud was gone each fell back to the edge
    assertThat(after.get("escalations").asLong() - before.get("escalations").asLong())
        .isEqualTo(offline);
    assertThat(after.get("fallbacks").asLong() - before.get("fallbacks").asLong())
        .isEqualTo(offline);
    assertThat(after.get("errors").asLong()).isEqualTo(before.get("errors").asLong());
    assertThat(after.get("lost").asLong()).isZero();
    assertThat(after.get("latency").get("count").asLong()).isEqualTo(expected);
    await("edge-1 has nothing left to send")
        .atMost(Duration.ofSeconds(10))
        .until(() -> edge.status().get("telemetry").get("pendingBytes").asLong() == 0);

    // the node's records: numbered without a gap; those received after the restart hold exactly
    // the requests of the outage, in intervals that had ended before the cloud was back
    JsonNode items =
        admin.get("/api/v1/nodes/" + nodeId + "/telemetry?limit=10000").expect(200).get("items");
    List<Long> sequences = new ArrayList<>();
    long late = 0;
    boolean endedBefore = false;
    for (JsonNode r : items) {
      sequences.add(r.get("sequence").asLong());
      if (!Instant.parse(r.get("receivedAt").asText()).isBefore(restart)) {
        late += r.get("requests").asLong();
        endedBefore |= Instant.parse(r.get("end").asText()).isBefore(restart);
      }
    }
    assertThat(sequences).isSorted().doesNotHaveDuplicates().startsWith(1L);
    assertThat(sequences.getLast()).isEqualTo((long) sequences.size());
    assertThat(late).as("requests in records received after the restart").isEqualTo(offline);
    assertThat(endedBefore).as("a record of the outage, sent late").isTrue();
  }
}
