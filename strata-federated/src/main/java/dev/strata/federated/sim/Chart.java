package dev.strata.federated.sim;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A self-contained HTML page with the test-accuracy curves of one or more simulations (SVG). */
public final class Chart {
  private static final String[] COLORS = {
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"
  };
  private static final int W = 760;
  private static final int H = 420;
  private static final int PAD = 50;

  private Chart() {}

  /** The page for these runs, by name, in the map's order. */
  public static String html(String title, Map<String, List<RoundResult>> runs) {
    int rounds = 1;
    double lo = 1;
    for (List<RoundResult> r : runs.values()) {
      rounds = Math.max(rounds, r.size());
      for (RoundResult x : r) {
        lo = Math.min(lo, x.testAccuracy());
      }
    }
    lo = Math.max(0, Math.floor(lo * 10) / 10);
    StringBuilder svg = new StringBuilder();
    svg.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-family='sans-serif' font-size='12'>",
            W + 220,
            H));
    svg.append(
        String.format(
            Locale.ROOT,
            "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#999'/>",
            PAD,
            10,
            W - PAD,
            H - PAD - 10));
    for (int i = 0; i <= 5; i++) {
      double acc = lo + (1 - lo) * i / 5;
      double y = y(acc, lo);
      svg.append(
          String.format(
              Locale.ROOT,
              "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#eee'/>",
              PAD,
              W,
              y,
              y));
      svg.append(
          String.format(
              Locale.ROOT,
              "<text x='%d' y='%.1f' text-anchor='end'>%.0f%%</text>",
              PAD - 4,
              y + 4,
              acc * 100));
    }
    for (int i = 0; i <= 5; i++) {
      int r = Math.max(1, Math.round((float) rounds * i / 5));
      svg.append(
          String.format(
              Locale.ROOT,
              "<text x='%.1f' y='%d' text-anchor='middle'>%d</text>",
              x(r, rounds),
              H - PAD + 16,
              r));
    }
    svg.append(
        String.format(
            Locale.ROOT,
            "<text x='%d' y='%d' text-anchor='middle'>round</text>",
            (W + PAD) / 2,
            H - 10));
    int k = 0;
    for (Map.Entry<String, List<RoundResult>> e : runs.entrySet()) {
      String color = COLORS[k % COLORS.length];
      StringBuilder pts = new StringBuilder();
      for (RoundResult r : e.getValue()) {
        pts.append(
            String.format(
                Locale.ROOT, "%.1f,%.1f ", x(r.round(), rounds), y(r.testAccuracy(), lo)));
      }
      svg.append("<polyline fill='none' stroke-width='2' stroke='")
          .append(color)
          .append("' points='")
          .append(pts)
          .append("'/>");
      double best =
          e.getValue().stream().mapToDouble(RoundResult::testAccuracy).max().orElse(Double.NaN);
      svg.append(
          String.format(
              Locale.ROOT,
              "<rect x='%d' y='%d' width='12' height='12' fill='%s'/>",
              W + 10,
              20 + 20 * k,
              color));
      svg.append(
          String.format(
              Locale.ROOT,
              "<text x='%d' y='%d'>%s (best %.2f%%)</text>",
              W + 28,
              31 + 20 * k,
              escape(e.getKey()),
              best * 100));
      k++;
    }
    svg.append("</svg>");
    return "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>"
        + escape(title)
        + "</title></head><body><h2>"
        + escape(title)
        + "</h2><p>Test accuracy of the global model after each round.</p>"
        + svg
        + "</body></html>\n";
  }

  private static double x(int round, int rounds) {
    return PAD + (W - PAD) * (rounds == 1 ? 0.5 : (round - 1) / (double) (rounds - 1));
  }

  private static double y(double acc, double lo) {
    double v = Double.isNaN(acc) ? lo : acc;
    return 10 + (H - PAD - 10) * (1 - (v - lo) / (1 - lo));
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;");
  }
}
