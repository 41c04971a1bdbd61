package dev.strata.cli.demo;

import java.util.List;
import java.util.Locale;

/** The demo's results as a text table. */
final class SummaryTable {
  private static final String ROW = "  %-32s %8s   %-13s %7s %7s%n";

  private SummaryTable() {}

  /**
   * The table: accuracy, answers and p50/p99 latency of the edge alone, the cloud alone and the
   * cascade, and the cascade split by where it was answered; then the edge share in words.
   */
  static String format(DemoSummary s, String edgeModel, String cloudModel) {
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, ROW, "path", "accuracy", "images", "p50 ms", "p99 ms"));
    row(out, "edge only   " + edgeModel, s.edgeOnly(), s.images(), false);
    row(out, "cloud only  " + cloudModel, s.cloudOnly(), s.images(), false);
    row(out, "cascade     edge, unsure: cloud", s.cascade(), s.images(), false);
    row(out, "  answered at the edge", s.cascadeAtEdge(), s.images(), true);
    row(out, "  escalated, cloud answered", s.cascadeAtCloud(), s.images(), true);
    if (s.cascadeFallback().count() > 0) {
      row(out, "  escalated, edge fell back", s.cascadeFallback(), s.images(), true);
    }
    int escalated = s.cascadeAtCloud().count() + s.cascadeFallback().count();
    out.append(
        String.format(
            Locale.ROOT,
            "%n  answered at the edge: %s (%d of %d); cloud calls: %d (%s)%s%n",
            percent(s.edgeShare(), 1),
            s.cascadeAtEdge().count(),
            s.images(),
            escalated,
            percent(s.images() == 0 ? 0 : (double) escalated / s.images(), 1),
            s.cascadeFallback().count() > 0
                ? ", of which the edge answered "
                    + s.cascadeFallback().count()
                    + " (no cloud answer)"
                : ""));
    return out.toString();
  }

  /**
   * One line per edge variant: the edge alone, the cascade and how much of it stayed at the edge.
   */
  static String sideBySide(List<String> names, List<DemoSummary> summaries) {
    String line = "  %-38s %10s %8s %10s %9s %8s%n";
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            line,
            "edge variant",
            "edge only",
            "p50 ms",
            "cascade",
            "at edge",
            "p50 ms"));
    for (int i = 0; i < names.size(); i++) {
      DemoSummary s = summaries.get(i);
      out.append(
          String.format(
              Locale.ROOT,
              line,
              names.get(i),
              percent(s.edgeOnly().accuracy(), 2),
              millis(s.edgeOnly().p50Nanos()),
              percent(s.cascade().accuracy(), 2),
              percent(s.edgeShare(), 1),
              millis(s.cascade().p50Nanos())));
    }
    return out.toString();
  }

  private static void row(StringBuilder out, String name, PathResult r, int images, boolean share) {
    String count =
        share
            ? String.format(
                Locale.ROOT,
                "%d (%s)",
                r.count(),
                percent(images == 0 ? 0 : (double) r.count() / images, 1))
            : Integer.toString(r.count());
    out.append(
        String.format(
            Locale.ROOT,
            ROW,
            name,
            r.count() == 0 ? "-" : percent(r.accuracy(), 2),
            count,
            r.count() == 0 ? "-" : millis(r.p50Nanos()),
            r.count() == 0 ? "-" : millis(r.p99Nanos())));
  }

  static String percent(double fraction, int decimals) {
    return String.format(Locale.ROOT, "%." + decimals + "f%%", fraction * 100);
  }

  static String millis(long nanos) {
    return String.format(Locale.ROOT, "%.2f", nanos / 1e6);
  }
}
