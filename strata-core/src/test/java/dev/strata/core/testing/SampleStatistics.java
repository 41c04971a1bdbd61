package dev.strata.core.testing;

import dev.strata.core.ModelStatistics;
import dev.strata.core.ModelStatistics.BatchStats;
import dev.strata.core.ModelStatistics.Duration;
import dev.strata.core.ModelStatistics.InferenceStats;
import java.util.List;

/** Model statistics for codec tests. */
public final class SampleStatistics {
  private SampleStatistics() {}

  /** Statistics of one model version with every field set. */
  public static ModelStatistics everyFieldSet() {
    return new ModelStatistics(
        "mnist",
        "1",
        1_700_000_000_000L,
        64,
        2,
        new InferenceStats(
            new Duration(64, 6400),
            new Duration(1, 10),
            new Duration(64, 640),
            new Duration(2, 20),
            new Duration(2, 2000),
            new Duration(2, 30)),
        List.of(
            new BatchStats(32, new Duration(2, 20), new Duration(2, 2000), new Duration(2, 30))));
  }
}
