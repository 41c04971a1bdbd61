package dev.strata.cli.demo;

import static java.util.Objects.requireNonNull;

import dev.strata.edge.ServedBy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The demo's figures over the held-out images.
 *
 * @param images how many images were measured
 * @param edgeOnly the edge model alone
 * @param cloudOnly the cloud model alone
 * @param cascade the cascade, every answer
 * @param cascadeAtEdge the cascade's answers the edge kept
 * @param cascadeAtCloud the cascade's answers the cloud gave (escalated)
 * @param cascadeFallback escalated answers the edge gave because the cloud did not answer
 */
record DemoSummary(
    int images,
    PathResult edgeOnly,
    PathResult cloudOnly,
    PathResult cascade,
    PathResult cascadeAtEdge,
    PathResult cascadeAtCloud,
    PathResult cascadeFallback) {
  DemoSummary {
    requireNonNull(edgeOnly, "edgeOnly");
    requireNonNull(cloudOnly, "cloudOnly");
    requireNonNull(cascade, "cascade");
    requireNonNull(cascadeAtEdge, "cascadeAtEdge");
    requireNonNull(cascadeAtCloud, "cascadeAtCloud");
    requireNonNull(cascadeFallback, "cascadeFallback");
    if (cascadeAtEdge.count() + cascadeAtCloud.count() + cascadeFallback.count()
        != cascade.count()) {
      throw new IllegalArgumentException(
          "cascade: "
              + cascade.count()
              + " answers, but "
              + cascadeAtEdge.count()
              + " at the edge, "
              + cascadeAtCloud.count()
              + " from the cloud and "
              + cascadeFallback.count()
              + " fallbacks (expected: they add up)");
    }
  }

  static DemoSummary of(List<Observation> observations) {
    return new DemoSummary(
        observations.size(),
        path(observations, o -> true, Observation::edgeOnly),
        path(observations, o -> true, Observation::cloudOnly),
        path(observations, o -> true, Observation::cascade),
        path(observations, o -> o.servedBy() == ServedBy.EDGE, Observation::cascade),
        path(observations, o -> o.servedBy() == ServedBy.CLOUD, Observation::cascade),
        path(observations, o -> o.servedBy() == ServedBy.EDGE_FALLBACK, Observation::cascade));
  }

  private static PathResult path(
      List<Observation> all,
      Predicate<Observation> which,
      Function<Observation, Observation.Answer> answer) {
    List<Observation> chosen = new ArrayList<>();
    for (Observation o : all) {
      if (which.test(o)) {
        chosen.add(o);
      }
    }
    boolean[] right = new boolean[chosen.size()];
    long[] nanos = new long[chosen.size()];
    for (int i = 0; i < chosen.size(); i++) {
      Observation o = chosen.get(i);
      right[i] = answer.apply(o).predicted() == o.label();
      nanos[i] = answer.apply(o).nanos();
    }
    return PathResult.of(right, nanos);
  }

  /** The share of images the cascade answered on the edge without asking the cloud. */
  double edgeShare() {
    return images == 0 ? 0 : (double) cascadeAtEdge.count() / images;
  }
}
