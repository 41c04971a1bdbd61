package dev.strata.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.cli.demo.Observation.Answer;
import dev.strata.edge.ServedBy;
import java.util.List;
import org.junit.jupiter.api.Test;

class DemoSummaryTest {
  static Answer a(int predicted, double millis) {
    return new Answer(predicted, Math.round(millis * 1e6));
  }

  /** Ten images: the cascade keeps eight on the edge (seven right), escalates two (both right). */
  static List<Observation> tenImages() {
    return List.of(
        new Observation(1, 0, a(1, 1.0), a(1, 2.0), a(1, 1.1), ServedBy.EDGE),
        new Observation(2, 1, a(2, 1.2), a(2, 2.2), a(2, 1.3), ServedBy.EDGE),
        new Observation(3, 0, a(3, 1.4), a(3, 2.4), a(3, 1.5), ServedBy.EDGE),
        new Observation(4, 1, a(4, 1.6), a(4, 2.6), a(4, 1.7), ServedBy.EDGE),
        new Observation(5, 0, a(5, 1.8), a(5, 2.8), a(5, 1.9), ServedBy.EDGE),
        new Observation(6, 1, a(6, 2.0), a(6, 3.0), a(6, 2.1), ServedBy.EDGE),
        new Observation(7, 0, a(7, 2.2), a(7, 3.2), a(7, 2.3), ServedBy.EDGE),
        new Observation(8, 1, a(0, 2.4), a(8, 3.4), a(0, 2.5), ServedBy.EDGE),
        new Observation(9, 0, a(0, 2.6), a(9, 3.6), a(9, 6.0), ServedBy.CLOUD),
        new Observation(0, 1, a(9, 2.8), a(0, 3.8), a(0, 7.0), ServedBy.CLOUD));
  }

  @Test
  void figuresPerPathAndWhereTheCascadeAnswered() {
    DemoSummary s = DemoSummary.of(tenImages());
    assertThat(s.images()).isEqualTo(10);
    assertThat(s.edgeOnly().correct()).isEqualTo(7);
    assertThat(s.cloudOnly().correct()).isEqualTo(10);
    assertThat(s.cascade().correct()).isEqualTo(9);
    assertThat(s.cascadeAtEdge().count()).isEqualTo(8);
    assertThat(s.cascadeAtEdge().correct()).isEqualTo(7);
    assertThat(s.cascadeAtCloud().count()).isEqualTo(2);
    assertThat(s.cascadeAtCloud().correct()).isEqualTo(2);
    assertThat(s.cascadeFallback()).isEqualTo(PathResult.NONE);
    assertThat(s.edgeShare()).isEqualTo(0.8);
    assertThat(s.cascadeAtCloud().p50Nanos()).isEqualTo(6_000_000);
    assertThat(s.cascade().p99Nanos()).isEqualTo(7_000_000);
    assertThat(s.cloudOnly().p50Nanos()).isEqualTo(2_800_000);
  }

  @Test
  void partsMustAddUp() {
    PathResult ten = new PathResult(10, 9, 1, 2);
    PathResult eight = new PathResult(8, 7, 1, 2);
    assertThatThrownBy(
            () -> new DemoSummary(10, ten, ten, ten, eight, PathResult.NONE, PathResult.NONE))
        .hasMessageContaining("expected: they add up");
  }
}
