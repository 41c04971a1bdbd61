package dev.strata.train.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.train.eval.EvaluationReport;
import dev.strata.train.eval.Evaluator;
import dev.strata.train.training.EpochStats;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HtmlReportTest {
  @Test
  void isOneSelfContainedPageWithChartsAndNoUrls() {
    List<EpochStats> history =
        List.of(
            new EpochStats(1, 1.0, 0.6, 0.9, 0.65, 1e-3, 10, 100),
            new EpochStats(2, 0.7, 0.7, 0.8, 0.7, 1e-3, 10, 100));
    EvaluationReport r =
        Evaluator.classification(
            "m<1>",
            "data",
            1234,
            List.of("a", "b"),
            new int[] {0, 1, 1},
            new float[][] {{1, 0}, {0, 1}, {1, 0}},
            Optional.empty(),
            history,
            1);
    String html = HtmlReport.render(r);
    assertThat(html).startsWith("<!DOCTYPE html>");
    assertThat(html).doesNotContainPattern("(?i)https?://");
    assertThat(html).doesNotContain("<script src").doesNotContain("<link");
    assertThat(html).contains("m&lt;1&gt;"); // escaped
    assertThat(html).contains("Confusion matrix").contains("<polyline");
    assertThat(html.split("<svg", -1)).hasSize(4); // confusion matrix + loss + accuracy
    assertThat(html).contains("ROC-AUC");
  }
}
