package dev.strata.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.cli.demo.Observation.Answer;
import dev.strata.edge.ServedBy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SummaryTableTest {
  @Test
  void theTableShowsEveryPathAndTheSplit() {
    String table =
        SummaryTable.format(
            DemoSummary.of(DemoSummaryTest.tenImages()), "fashion-edge", "fashion-cnn");
    assertThat(table)
        .isEqualTo(
            String.join(
                "\n",
                "  path                             accuracy   images         p50 ms  p99 ms",
                "  edge only   fashion-edge           70.00%   10               1.80    2.80",
                "  cloud only  fashion-cnn           100.00%   10               2.80    3.80",
                "  cascade     edge, unsure: cloud    90.00%   10               1.90    7.00",
                "    answered at the edge             87.50%   8 (80.0%)        1.70    2.50",
                "    escalated, cloud answered       100.00%   2 (20.0%)        6.00    7.00",
                "",
                "  answered at the edge: 80.0% (8 of 10); cloud calls: 2 (20.0%)",
                ""));
  }

  @Test
  void fallbacksGetTheirOwnRowAndAnEmptyPathShowsDashes() {
    List<Observation> all = new ArrayList<>();
    all.add(
        new Observation(
            3,
            0,
            new Answer(3, 1_000_000),
            new Answer(3, 2_000_000),
            new Answer(3, 2_500_000),
            ServedBy.EDGE_FALLBACK));
    String table = SummaryTable.format(DemoSummary.of(all), "e", "c");
    assertThat(table)
        .contains("    answered at the edge                  -   0 (0.0%)            -       -")
        .contains("    escalated, edge fell back       100.00%   1 (100.0%)       2.50    2.50")
        .contains("cloud calls: 1 (100.0%), of which the edge answered 1 (no cloud answer)");
  }
}
