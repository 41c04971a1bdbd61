package dev.strata.registry.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.api.LatencySummary;
import dev.strata.control.LatencyHistogram;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LatencyMergeTest {
  @Test
  void percentilesAreTheUpperBoundOfTheirBucketClippedToTheLargestLatency() {
    LatencyMerge m = new LatencyMerge();
    // 4 latencies <= 100, 4 in (100, 200], 2 in (200, 400]; the largest is 350
    m.add(new LatencyHistogram(List.of(100L, 200L, 400L), List.of(4L, 4L, 2L, 0L), 1900, 350));
    assertThat(m.percentile(0.40)).contains(100L); // rank 4
    assertThat(m.percentile(0.50)).contains(200L); // rank 5
    assertThat(m.percentile(0.90)).contains(350L); // rank 9: bucket bound 400, clipped to 350
    assertThat(m.summary().count()).isEqualTo(10);
    assertThat(m.summary().meanMicros()).contains(190.0);
    assertThat(m.summary().maxMicros()).contains(350L);
  }

  @Test
  void histogramsWithDifferentBoundsMergeByBound() {
    LatencyMerge m = new LatencyMerge();
    m.add(new LatencyHistogram(List.of(100L, 1000L), List.of(1L, 1L, 0L), 600, 900));
    m.add(new LatencyHistogram(List.of(500L), List.of(2L, 0L), 800, 450));
    // merged: <=100: 1, <=500: 2, <=1000: 1
    assertThat(m.percentile(0.25)).contains(100L);
    assertThat(m.percentile(0.75)).contains(500L);
    assertThat(m.percentile(1.0)).contains(900L);
  }

  @Test
  void overflowPercentilesAreTheLargestLatency() {
    LatencyMerge m = new LatencyMerge();
    m.add(new LatencyHistogram(List.of(100L), List.of(1L, 3L), 40_050, 20_000));
    assertThat(m.percentile(0.5)).contains(20_000L);
  }

  @Test
  void noLatenciesNoPercentiles() {
    LatencyMerge m = new LatencyMerge();
    m.add(new LatencyHistogram(List.of(100L), List.of(0L, 0L), 0, 0));
    assertThat(m.summary())
        .isEqualTo(
            new LatencySummary(
                0,
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty()));
  }
}
