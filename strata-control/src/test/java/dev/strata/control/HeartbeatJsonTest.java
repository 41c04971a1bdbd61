package dev.strata.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HeartbeatJsonTest {
  private static final String OLD_NODE =
      """
      {"agentVersion": "0.1.0", "health": "HEALTHY", "models": [], "queueDepth": 0,
       "cpuPercent": 1.5, "memoryUsedBytes": 1, "memoryTotalBytes": 2, "deployments": {},
       "desiredStateEtag": null}
      """;

  @Test
  void aHeartbeatWithoutTelemetryReadsAsEmpty() {
    Heartbeat hb = Json.read(OLD_NODE, Heartbeat.class);
    assertThat(hb.telemetry()).isEmpty();
    assertThat(hb.cpuPercent()).isEqualTo(1.5);
  }

  @Test
  void telemetryRoundTrips() {
    LatencyHistogram latency =
        new LatencyHistogram(List.of(100L, 1_000L), List.of(3L, 1L, 0L), 1_450, 900);
    TelemetryRecord record =
        new TelemetryRecord(
            7,
            "det",
            2,
            Instant.parse("2026-01-01T00:00:00Z"),
            Instant.parse("2026-01-01T00:00:10Z"),
            4,
            1,
            2,
            1,
            latency);
    Heartbeat hb =
        new Heartbeat(
            "0.1.0",
            Health.HEALTHY,
            List.of(),
            0,
            0,
            0,
            0,
            Map.of(),
            Optional.of("e1"),
            List.of(record));
    Heartbeat back = Json.read(Json.write(hb), Heartbeat.class);
    assertThat(back).isEqualTo(hb);
    assertThat(back.telemetry().getFirst().latency().total()).isEqualTo(4);
  }

  @Test
  void telemetryIsBoundedAndChecked() {
    LatencyHistogram none =
        new LatencyHistogram(
            LatencyHistogram.DEFAULT_BOUNDS_MICROS,
            Collections.nCopies(LatencyHistogram.DEFAULT_BOUNDS_MICROS.size() + 1, 0L),
            0,
            0);
    Instant t = Instant.EPOCH;
    TelemetryRecord r = new TelemetryRecord(1, "d", 1, t, t, 0, 0, 0, 0, none);
    assertThatThrownBy(
            () ->
                new Heartbeat(
                    "1",
                    Health.HEALTHY,
                    List.of(),
                    0,
                    0,
                    0,
                    0,
                    Map.of(),
                    Optional.empty(),
                    Collections.nCopies(Heartbeat.MAX_TELEMETRY + 1, r)))
        .hasMessageContaining("257 telemetry records (expected: <= 256)");
    assertThatThrownBy(() -> new TelemetryRecord(2, "d", 1, t, t, 1, 0, 0, 1, none))
        .hasMessageContaining("fallbacks <= escalations");
    assertThatThrownBy(() -> new LatencyHistogram(List.of(5L, 5L), List.of(0L, 0L, 0L), 0, 0))
        .hasMessageContaining("strictly increasing");
  }

  @Test
  void cascadeThresholdsLieBetweenZeroAndOne() {
    assertThatThrownBy(
            () -> new InferencePolicy.Cascade(ConfidenceMeasure.ENTROPY, 1.5, Optional.empty()))
        .hasMessageContaining("cascade threshold: 1.5 (expected: 0-1 for ENTROPY)");
    assertThat(new InferencePolicy.Cascade(ConfidenceMeasure.ENTROPY, 0.4, Optional.empty()))
        .isNotNull();
  }
}
