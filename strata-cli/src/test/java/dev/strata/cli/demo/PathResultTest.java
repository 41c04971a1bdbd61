package dev.strata.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class PathResultTest {
  @Test
  void percentilesAreNearestRank() {
    long[] hundred = LongStream.rangeClosed(1, 100).toArray();
    assertThat(PathResult.percentile(hundred, 0.50)).isEqualTo(50);
    assertThat(PathResult.percentile(hundred, 0.99)).isEqualTo(99);
    assertThat(PathResult.percentile(hundred, 1.0)).isEqualTo(100);
    long[] three = {10, 20, 30};
    assertThat(PathResult.percentile(three, 0.50)).isEqualTo(20);
    assertThat(PathResult.percentile(three, 0.99)).isEqualTo(30);
    assertThat(PathResult.percentile(new long[] {7}, 0.5)).isEqualTo(7);
    assertThatThrownBy(() -> PathResult.percentile(new long[0], 0.5))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PathResult.percentile(three, 0))
        .hasMessageContaining("expected: 0 < p <= 1");
  }

  @Test
  void countsAndSortsWithoutTouchingTheInput() {
    long[] nanos = {5_000_000, 1_000_000, 3_000_000, 2_000_000};
    PathResult r = PathResult.of(new boolean[] {true, false, true, true}, nanos);
    assertThat(r.count()).isEqualTo(4);
    assertThat(r.correct()).isEqualTo(3);
    assertThat(r.accuracy()).isEqualTo(0.75);
    assertThat(r.p50Nanos()).isEqualTo(2_000_000);
    assertThat(r.p99Nanos()).isEqualTo(5_000_000);
    assertThat(nanos).containsExactly(5_000_000, 1_000_000, 3_000_000, 2_000_000);
  }

  @Test
  void nothingIsNone() {
    assertThat(PathResult.of(new boolean[0], new long[0])).isEqualTo(PathResult.NONE);
    assertThat(PathResult.NONE.accuracy()).isZero();
    assertThatThrownBy(() -> new PathResult(2, 3, 0, 0)).hasMessageContaining("3 of 2 correct");
    assertThatThrownBy(() -> PathResult.of(new boolean[1], new long[2]))
        .hasMessageContaining("expected: as many");
  }
}
