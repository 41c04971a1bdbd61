package dev.strata.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.api.CloudApiClient;
import dev.strata.api.DeploymentTelemetry;
import dev.strata.api.StoredTelemetry;
import dev.strata.api.TelemetryQuery;
import dev.strata.api.TelemetryWindow;
import dev.strata.control.Health;
import dev.strata.control.Heartbeat;
import dev.strata.control.LatencyHistogram;
import dev.strata.control.TelemetryRecord;
import dev.strata.registry.testing.TestDb;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Telemetry over HTTP: a node's heartbeat carries records (one of them twice), management reads
 * them per node and aggregated per deployment; bad parameters, unknown names and callers without
 * the right credential are refused.
 */
class TelemetryApiIT {
  @TempDir Path dir;
  private TestCloud cloud;
  private Api edge;
  private String nodeId;
  private final Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);

  @BeforeEach
  void start() {
    cloud = TestCloud.start(dir, TestDb.SQLITE);
    long v = cloud.publish("mlp", TestCloud.mlp(1));
    cloud.admin.expect(
        201,
        cloud.admin.put(
            "/api/v1/deployments/det",
            Map.of("model", "mlp", "version", v, "variant", "fp32", "target", "EDGE")));
    String token =
        cloud
            .admin
            .expect(
                201,
                cloud.admin.post(
                    "/api/v1/enrollment-tokens", Map.of("description", "edge", "labels", Map.of())))
            .get("token")
            .asText();
    JsonNode enrollment =
        cloud
            .anonymous()
            .expect(
                201,
                cloud
                    .anonymous()
                    .post(
                        "/api/v1/nodes/enroll",
                        Map.of("token", token, "name", "edge-1", "labels", Map.of())));
    nodeId = enrollment.get("nodeId").asText();
    edge = cloud.anonymous().as(enrollment.get("credential").asText());
  }

  @AfterEach
  void stop() {
    if (cloud != null) {
      cloud.close();
    }
  }

  /** {@code requests} latencies in the bucket of {@code bucket} (index into the default bounds). */
  private TelemetryRecord record(long sequence, String deployment, long requests, int bucket) {
    List<Long> counts = new ArrayList<>();
    for (int i = 0; i <= LatencyHistogram.DEFAULT_BOUNDS_MICROS.size(); i++) {
      counts.add(i == bucket ? requests : 0L);
    }
    long bound = LatencyHistogram.DEFAULT_BOUNDS_MICROS.get(bucket);
    Instant end = now.minus(Duration.ofMinutes(10 - sequence));
    return new TelemetryRecord(
        sequence,
        deployment,
        1,
        end.minusSeconds(10),
        end,
        requests,
        1,
        requests / 2,
        1,
        new LatencyHistogram(
            LatencyHistogram.DEFAULT_BOUNDS_MICROS, counts, requests * bound, bound));
  }

  private void beat(TelemetryRecord... records) {
    edge.expect(
        200,
        edge.post(
            "/api/v1/nodes/self/heartbeat",
            new Heartbeat(
                "0.1.0",
                Health.HEALTHY,
                List.of(),
                0,
                1,
                1,
                2,
                Map.of(),
                Optional.empty(),
                List.of(records))));
  }

  @Test
  void recordsPerNodeAndAggregatePerDeployment() {
    beat(record(1, "det", 10, 2), record(2, "other", 4, 0));
    beat(record(2, "other", 4, 0), record(3, "det", 30, 5)); // 2 again: its answer was lost

    JsonNode items =
        cloud
            .admin
            .expect(200, cloud.admin.get("/api/v1/nodes/" + nodeId + "/telemetry"))
            .get("items");
    assertThat(items).hasSize(3);
    assertThat(items.get(0).get("sequence").asLong()).isEqualTo(1);
    assertThat(items.get(0).get("nodeId").asText()).isEqualTo(nodeId);
    assertThat(items.get(0).get("latency").get("counts").get(2).asLong()).isEqualTo(10);
    assertThat(items.get(2).get("sequence").asLong()).isEqualTo(3);
    JsonNode det =
        cloud
            .admin
            .expect(
                200,
                cloud.admin.get(
                    "/api/v1/nodes/" + nodeId + "/telemetry?deployment=det&limit=1&from="))
            .get("items");
    assertThat(det).hasSize(1);
    assertThat(det.get(0).get("sequence").asLong()).isEqualTo(1);

    JsonNode d = cloud.admin.expect(200, cloud.admin.get("/api/v1/deployments/det/telemetry"));
    JsonNode total = d.get("total");
    assertThat(total.get("records").asLong()).isEqualTo(2);
    assertThat(total.get("requests").asLong()).isEqualTo(40);
    assertThat(total.get("errors").asLong()).isEqualTo(2);
    assertThat(total.get("escalations").asLong()).isEqualTo(20);
    assertThat(total.get("escalationShare").asDouble()).isEqualTo(0.5);
    assertThat(total.get("lost").asLong()).isZero();
    // 10 latencies <= 500 us, 30 <= 5 ms: p50 (rank 20) and p90 are 5000, the largest seen
    assertThat(total.get("latency").get("p50Micros").asLong()).isEqualTo(5_000);
    assertThat(total.get("latency").get("p90Micros").asLong()).isEqualTo(5_000);
    assertThat(d.get("to").isNull()).isTrue();
    assertThat(d.get("nodes").get(0).get("nodeName").asText()).isEqualTo("edge-1");

    // a window that ends before the third record's interval
    String to = now.minus(Duration.ofMinutes(8)).toString();
    JsonNode early =
        cloud.admin.expect(200, cloud.admin.get("/api/v1/deployments/det/telemetry?to=" + to));
    assertThat(early.get("total").get("requests").asLong()).isEqualTo(10);

    // the Java client reads the same
    try (CloudApiClient client =
        CloudApiClient.create(cloud.server.httpUri(), TestCloud.ADMIN_TOKEN)) {
      List<StoredTelemetry> records =
          client.nodeTelemetry(
              nodeId, new TelemetryQuery(TelemetryWindow.LAST_HOUR, Optional.of("other"), 10));
      assertThat(records).extracting(StoredTelemetry::sequence).containsExactly(2L);
      assertThat(records.getFirst().latency().total()).isEqualTo(4);
      DeploymentTelemetry fromClient =
          client.deploymentTelemetry(
              "det",
              new TelemetryWindow(
                  Optional.of(now.minus(Duration.ofHours(1))), Optional.of(now.plusSeconds(1))));
      assertThat(fromClient.total().requests()).isEqualTo(40);
      assertThat(fromClient.total().latency().p50Micros()).contains(5_000L);
      assertThat(fromClient.nodes()).hasSize(1);
    }
  }

  private void assertRefused(String path, int status, String code, String message) {
    Api.Response r = cloud.admin.get(path);
    assertThat(r.status()).as(path).isEqualTo(status);
    assertThat(r.json().get("code").asText()).as(path).isEqualTo(code);
    assertThat(r.json().get("error").asText()).as(path).contains(message);
  }

  @Test
  void badParametersAndUnknownNamesAreRefused() {
    String node = "/api/v1/nodes/" + nodeId + "/telemetry";
    assertRefused(node + "?from=yesterday", 400, "INVALID_ARGUMENT", "from: yesterday");
    assertRefused(node + "?to=12:00", 400, "INVALID_ARGUMENT", "to: 12:00");
    assertRefused(node + "?limit=0", 400, "INVALID_ARGUMENT", "limit: 0");
    assertRefused(node + "?limit=many", 400, "INVALID_ARGUMENT", "limit: many");
    assertRefused(
        "/api/v1/deployments/det/telemetry?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
        400,
        "INVALID_ARGUMENT",
        "to: 2026-01-01T00:00:00Z (expected: after from");
    assertRefused("/api/v1/nodes/nope/telemetry", 404, "NOT_FOUND", "node nope");
    assertRefused("/api/v1/deployments/nope/telemetry", 404, "NOT_FOUND", "deployment nope");
  }

  @Test
  void onlyManagementCredentialsReadTelemetry() {
    String path = "/api/v1/deployments/det/telemetry";
    assertThat(cloud.anonymous().get(path).status()).isEqualTo(401);
    assertThat(cloud.anonymous().get("/api/v1/nodes/" + nodeId + "/telemetry").status())
        .isEqualTo(401);
    Api.Response asNode = edge.get(path);
    assertThat(asNode.status()).isEqualTo(403);
    assertThat(asNode.json().get("code").asText()).isEqualTo("PERMISSION_DENIED");
    assertThat(edge.get("/api/v1/nodes/" + nodeId + "/telemetry").status()).isEqualTo(403);
    String viewer =
        cloud
            .admin
            .expect(
                201, cloud.admin.post("/api/v1/api-keys", Map.of("name", "v", "role", "VIEWER")))
            .get("token")
            .asText();
    assertThat(cloud.anonymous().as(viewer).get(path).status()).isEqualTo(200);
  }
}
