package dev.strata.edge;

import static dev.strata.edge.testing.TestModels.request;
import static dev.strata.edge.testing.TestModels.servedBy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.strata.api.DeploymentSpec;
import dev.strata.api.Selector;
import dev.strata.api.Variant;
import dev.strata.control.ConfidenceMeasure;
import dev.strata.control.Heartbeat;
import dev.strata.control.InferencePolicy;
import dev.strata.control.LoadState;
import dev.strata.control.TelemetryRecord;
import dev.strata.core.InferenceResponse;
import dev.strata.edge.testing.TestModels;
import dev.strata.protocol.client.ClientConfig;
import dev.strata.protocol.client.StrataClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The edge's life with and without its cloud: enroll, deploy, serve; the cloud stops and every
 * request is still answered; the agent restarts with the cloud still down and serves from its data
 * directory with the same policy; the cloud comes back and gets the telemetry of all of it.
 */
class EdgeAgentIT {
  @TempDir Path dir;

  @Test
  void servesThroughCloudOutagesAndRestartsAndReportsItAllAfterwards() throws Exception {
    try (LoopbackCloud cloud =
        LoopbackCloud.start(dir.resolve("cloud"), Map.of("cloud-mlp", TestModels.mlp(2)))) {
      Variant v1 = cloud.publish("mlp", "fp32", TestModels.mlp(1));
      // threshold 1: every answer is escalated, so who answers shows where the cloud is
      cloud.deploy(
          "det",
          DeploymentSpec.edge("mlp", v1.version(), "fp32", Selector.parse("site=lab"))
              .withPolicy(
                  new InferencePolicy.Cascade(
                      ConfidenceMeasure.MAX_PROBABILITY, 1.0, Optional.of("cloud-mlp"))));
      EdgeConfig config =
          TestModels.agent(cloud.url(), dir.resolve("edge"))
              .enrollToken(cloud.enrollmentToken(Map.of("site", "lab")))
              .build();
      int withCloud = 20;
      int cloudDown = 200;
      int afterRestart = 30;

      try (EdgeAgent agent = EdgeAgent.start(config);
          StrataClient client = local(agent)) {
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> client.modelReady("mlp", Optional.empty()));
        Path identity = dir.resolve("edge").resolve("node.json");
        assertThat(Files.getPosixFilePermissions(identity))
            .containsExactlyInAnyOrder(
                PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        assertThat(Files.readString(identity)).contains(cloud.signingKey());
        for (int i = 0; i < withCloud; i++) {
          InferenceResponse r = client.infer(request("mlp", i));
          assertThat(servedBy(r)).isEqualTo("cloud");
          assertThat(r.model()).isEqualTo("cloud-mlp");
          assertThat(r.parameters())
              .containsEntry(CollaborativeInferenceService.CONFIDENCE_MEASURE, "MAX_PROBABILITY")
              .containsKey(CollaborativeInferenceService.CONFIDENCE);
        }
        await()
            .atMost(Duration.ofSeconds(20))
            .untilAsserted(
                () -> {
                  Heartbeat hb = cloud.heartbeats.getLast();
                  assertThat(hb.models())
                      .singleElement()
                      .satisfies(
                          m -> {
                            assertThat(m.state()).isEqualTo(LoadState.READY);
                            assertThat(m.version()).isEqualTo(v1.version());
                            assertThat(m.revision()).isEqualTo(1);
                          });
                  assertThat(hb.deployments().get("det").requests()).isEqualTo(withCloud);
                  assertThat(hb.deployments().get("det").escalations()).isEqualTo(withCloud);
                  assertThat(hb.health()).isEqualTo(dev.strata.control.Health.HEALTHY);
                  assertThat(hb.memoryTotalBytes()).isPositive();
                  assertThat(hb.agentVersion()).isNotBlank();
                  assertThat(hb.desiredStateEtag()).isPresent();
                });

        cloud.stop();
        for (int i = 0; i < cloudDown; i++) {
          InferenceResponse r = client.infer(request("mlp", 1000 + i));
          assertThat(servedBy(r)).isEqualTo("edge-fallback");
          assertThat(r.model()).isEqualTo("mlp");
          assertThat(r.outputs()).hasSize(1);
        }
      }

      // the cloud is still down: the agent comes back from its data directory alone
      EdgeConfig noToken = TestModels.agent(cloud.url(), dir.resolve("edge")).build();
      try (EdgeAgent agent = EdgeAgent.start(noToken);
          StrataClient client = local(agent)) {
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> client.ready() && client.modelReady("mlp", Optional.empty()));
        for (int i = 0; i < afterRestart; i++) {
          InferenceResponse r = client.infer(request("mlp", 5000 + i));
          assertThat(servedBy(r)).isEqualTo("edge-fallback"); // the cascade policy survived too
          assertThat(r.version()).isEqualTo(Long.toString(v1.version()));
        }
        assertThat(agent.connected()).isFalse();

        cloud.restart();
        int total = withCloud + cloudDown + afterRestart;
        await()
            .atMost(Duration.ofSeconds(30))
            .untilAsserted(
                () -> {
                  Map<String, Long> sums = telemetry(cloud, "det");
                  assertThat(sums)
                      .containsEntry("requests", (long) total)
                      .containsEntry("escalations", (long) total)
                      .containsEntry("fallbacks", (long) (cloudDown + afterRestart))
                      .containsEntry("errors", 0L)
                      .containsEntry("latencies", (long) total);
                });
        // the cloud saw the heartbeat before the agent saw the answer
        await().atMost(Duration.ofSeconds(10)).until(agent::connected);
        InferenceResponse back = client.infer(request("mlp", 9));
        assertThat(servedBy(back)).isIn("cloud", "edge-fallback"); // the circuit may still be open
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> servedBy(client.infer(request("mlp", 10))).equals("cloud"));
      }
    }
  }

  static StrataClient local(EdgeAgent agent) {
    return StrataClient.rest(ClientConfig.of("127.0.0.1", agent.httpPort()));
  }

  static boolean lastHeartbeatShows(LoopbackCloud cloud, String deployment, LoadState state) {
    if (cloud.heartbeats.isEmpty()) {
      return false;
    }
    Heartbeat hb = cloud.heartbeats.getLast();
    return hb.models().stream()
        .anyMatch(m -> m.deployment().equals(Optional.of(deployment)) && m.state() == state);
  }

  /** Telemetry of a deployment over every heartbeat, each record counted once. */
  static Map<String, Long> telemetry(LoopbackCloud cloud, String deployment) {
    Map<Long, TelemetryRecord> bySequence = new HashMap<>();
    for (Heartbeat hb : cloud.heartbeats) {
      for (TelemetryRecord r : hb.telemetry()) {
        if (r.deployment().equals(deployment)) {
          bySequence.put(r.sequence(), r);
        }
      }
    }
    Map<String, Long> sums = new HashMap<>();
    for (TelemetryRecord r : bySequence.values()) {
      sums.merge("requests", r.requests(), Long::sum);
      sums.merge("escalations", r.escalations(), Long::sum);
      sums.merge("fallbacks", r.fallbacks(), Long::sum);
      sums.merge("errors", r.errors(), Long::sum);
      sums.merge("latencies", r.latency().total(), Long::sum);
    }
    for (String k : Set.of("requests", "escalations", "fallbacks", "errors", "latencies")) {
      sums.putIfAbsent(k, 0L);
    }
    return sums;
  }
}
