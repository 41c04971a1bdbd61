package dev.strata.train.report;

import dev.strata.train.eval.ClassificationMetrics;
import dev.strata.train.eval.EvaluationReport;
import dev.strata.train.eval.RegressionMetrics;
import dev.strata.train.eval.TrainJson;
import dev.strata.train.training.EpochStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Renders an evaluation as one self-contained HTML page: inline CSS and inline SVG charts (training
 * curves, confusion matrix), the metrics JSON embedded — no script, font or stylesheet is fetched,
 * so it opens offline.
 */
public final class HtmlReport {
  private HtmlReport() {}

  public static String render(EvaluationReport r) {
    StringBuilder h = new StringBuilder(32_768);
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<title>Strata evaluation: ")
        .append(esc(r.model()))
        .append("</title><style>")
        .append("body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}")
        .append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;")
        .append(
            "padding:4px 8px;text-align:right}th{background:#f3f3f3}td:first-child{text-align:left}")
        .append(".charts{display:flex;flex-wrap:wrap;gap:2em}.kv td{text-align:left}")
        .append("pre{background:#f7f7f7;padding:1em;overflow:auto;max-height:20em}")
        .append("</style></head><body>\n");
    h.append("<h1>").append(esc(r.model())).append("</h1>\n");
    h.append("<table class=\"kv\">");
    row(h, "Evaluated on", esc(r.data()));
    row(h, "Parameters", String.format(Locale.ROOT, "%,d", r.parameterCount()));
    row(h, "Epochs trained", Integer.toString(r.history().size()));
    var ci = r.mainMetric();
    String main = r.classification().isPresent() ? "Accuracy" : "RMSE";
    row(
        h,
        main,
        String.format(
            Locale.ROOT,
            "%.4f (%.0f%% CI %.4f – %.4f, %d bootstrap resamples)",
            ci.estimate(),
            ci.level() * 100,
            ci.lower(),
            ci.upper(),
            ci.resamples()));
    r.crossValidation()
        .ifPresent(
            cv ->
                row(
                    h,
                    cv.folds() + "-fold cross-validation " + cv.metric(),
                    String.format(Locale.ROOT, "%.4f ± %.4f", cv.mean(), cv.std())));
    h.append("</table>\n");
    r.classification().ifPresent(c -> classification(h, c));
    r.regression().ifPresent(m -> regression(h, m));
    if (!r.history().isEmpty()) {
      h.append("<h2>Training</h2><div class=\"charts\">");
      h.append(lineChart("Loss", r.history(), EpochStats::trainLoss, EpochStats::validationLoss));
      if (r.classification().isPresent()) {
        h.append(
            lineChart(
                "Accuracy",
                r.history(),
                EpochStats::trainAccuracy,
                EpochStats::validationAccuracy));
      }
      h.append("</div>\n");
    }
    h.append("<h2>Metrics (JSON)</h2><pre>").append(esc(TrainJson.write(r))).append("</pre>\n");
    h.append("</body></html>\n");
    return h.toString();
  }

  private static void classification(StringBuilder h, ClassificationMetrics c) {
    h.append("<h2>Classification</h2><table class=\"kv\">");
    row(h, "Samples", Integer.toString(c.samples()));
    for (int k = 0; k < c.topK().size(); k++) {
      row(h, "Top-" + (k + 1) + " accuracy", fmt(c.topK().get(k)));
    }
    c.rocAuc().ifPresent(a -> row(h, "ROC-AUC", fmt(a)));
    h.append("</table>\n<table><tr><th>Class</th><th>Precision</th><th>Recall</th><th>F1</th>")
        .append("<th>Support</th></tr>");
    for (var p : c.perClass()) {
      h.append("<tr><td>")
          .append(esc(p.name()))
          .append("</td><td>")
          .append(fmt(p.precision()))
          .append("</td><td>")
          .append(fmt(p.recall()))
          .append("</td><td>")
          .append(fmt(p.f1()))
          .append("</td><td>")
          .append(p.support())
          .append("</td></tr>");
    }
    h.append("<tr><th>Macro</th><th>")
        .append(fmt(c.macro().precision()))
        .append("</th><th>")
        .append(fmt(c.macro().recall()))
        .append("</th><th>")
        .append(fmt(c.macro().f1()))
        .append("</th><th></th></tr><tr><th>Weighted</th><th>")
        .append(fmt(c.weighted().precision()))
        .append("</th><th>")
        .append(fmt(c.weighted().recall()))
        .append("</th><th>")
        .append(fmt(c.weighted().f1()))
        .append("</th><th></th></tr></table>\n");
    h.append("<h3>Confusion matrix</h3>").append(confusion(c)).append("\n");
  }

  private static void regression(StringBuilder h, RegressionMetrics m) {
    h.append("<h2>Regression</h2><table class=\"kv\">");
    row(h, "Samples", Integer.toString(m.samples()));
    row(h, "MAE", fmt(m.mae()));
    row(h, "RMSE", fmt(m.rmse()));
    row(h, "R²", fmt(m.r2()));
    h.append("</table>\n");
  }

  /** A heat map: rows are true classes, columns predicted; darker = more samples. */
  static String confusion(ClassificationMetrics c) {
    int k = c.classes().size();
    int cell = Math.max(28, Math.min(56, 560 / Math.max(1, k)));
    int left = 110;
    int top = 100;
    int w = left + k * cell + 70;
    int hgt = top + k * cell + 30;
    long max = 1;
    for (long[] row : c.confusion()) {
      for (long v : row) {
        max = Math.max(max, v);
      }
    }
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" font-size=\"11\">", w, hgt));
    for (int t = 0; t < k; t++) {
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>",
              left - 6,
              top + t * cell + cell / 2 + 4,
              esc(c.classes().get(t))));
      s.append(
          String.format(
              Locale.ROOT,
              "<text transform=\"translate(%d,%d) rotate(-45)\">%s</text>",
              left + t * cell + cell / 2,
              top - 6,
              esc(c.classes().get(t))));
      for (int p = 0; p < k; p++) {
        long v = c.confusion()[t][p];
        double a = v == 0 ? 0 : 0.08 + 0.92 * v / max;
        s.append(
            String.format(
                Locale.ROOT,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" fill-opacity=\"%.3f\""
                    + " stroke=\"#ddd\"><title>true %s, predicted %s: %d</title></rect>",
                left + p * cell,
                top + t * cell,
                cell,
                cell,
                t == p ? "#1f6fb5" : "#c0392b",
                a,
                esc(c.classes().get(t)),
                esc(c.classes().get(p)),
                v));
        s.append(
            String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\">%d</text>",
                left + p * cell + cell / 2,
                top + t * cell + cell / 2 + 4,
                a > 0.55 ? "#fff" : "#222",
                v));
      }
    }
    s.append("<text x=\"4\" y=\"16\">true class ↓</text>");
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">predicted class →</text>",
            left + k * cell / 2,
            hgt - 8));
    s.append("</svg>");
    return s.toString();
  }

  /** Training (solid) and validation (dashed) curves per epoch. */
  static String lineChart(
      String title,
      List<EpochStats> history,
      ToDoubleFunction<EpochStats> train,
      ToDoubleFunction<EpochStats> val) {
    int w = 460;
    int hgt = 280;
    int l = 56;
    int r = 16;
    int t = 30;
    int b = 40;
    List<double[]> series = new ArrayList<>();
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (ToDoubleFunction<EpochStats> f : List.of(train, val)) {
      double[] v = history.stream().mapToDouble(f).toArray();
      series.add(v);
      for (double x : v) {
        if (!Double.isNaN(x)) {
          lo = Math.min(lo, x);
          hi = Math.max(hi, x);
        }
      }
    }
    if (!(hi > lo)) {
      hi = lo + 1;
    }
    int n = history.size();
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT,
            "<svg width=\"%d\" height=\"%d\" font-size=\"11\">"
                + "<text x=\"%d\" y=\"18\" font-size=\"14\" font-weight=\"bold\">%s</text>"
                + "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>",
            w,
            hgt,
            l,
            esc(title),
            l,
            t,
            w - l - r,
            hgt - t - b));
    for (int i = 0; i <= 4; i++) {
      double v = lo + (hi - lo) * i / 4;
      int y = (int) Math.round(t + (hgt - t - b) * (1 - i / 4.0));
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.3f</text>"
                  + "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#eee\"/>",
              l - 4,
              y + 4,
              v,
              l,
              w - r,
              y,
              y));
    }
    for (int e = 0; e < n; e++) {
      if (n <= 12 || e % Math.ceil(n / 12.0) == 0 || e == n - 1) {
        s.append(
            String.format(
                Locale.ROOT,
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>",
                x(e, n, l, w - r),
                hgt - b + 16,
                history.get(e).epoch()));
      }
    }
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">epoch</text>",
            (l + w - r) / 2,
            hgt - 6));
    String[] colors = {"#1f6fb5", "#e67e22"};
    String[] names = {"training", "validation"};
    for (int k = 0; k < 2; k++) {
      StringBuilder pts = new StringBuilder();
      double[] v = series.get(k);
      for (int e = 0; e < n; e++) {
        if (!Double.isNaN(v[e])) {
          double y = t + (hgt - t - b) * (1 - (v[e] - lo) / (hi - lo));
          pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x(e, n, l, w - r), y));
          s.append(
              String.format(
                  Locale.ROOT,
                  "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"><title>%s epoch %d: %.4f"
                      + "</title></circle>",
                  x(e, n, l, w - r),
                  y,
                  colors[k],
                  names[k],
                  history.get(e).epoch(),
                  v[e]));
        }
      }
      if (!pts.isEmpty()) {
        s.append(
            String.format(
                Locale.ROOT,
                "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s/>",
                pts.toString().strip(),
                colors[k],
                k == 1 ? " stroke-dasharray=\"5,3\"" : ""));
        s.append(
            String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>",
                w - r - 150 + k * 75,
                18,
                colors[k],
                names[k]));
      }
    }
    s.append("</svg>");
    return s.toString();
  }

  private static double x(int e, int n, int from, int to) {
    return n == 1 ? (from + to) / 2.0 : from + (to - from) * (double) e / (n - 1);
  }

  private static void row(StringBuilder h, String k, String v) {
    h.append("<tr><td><b>").append(esc(k)).append("</b></td><td>").append(v).append("</td></tr>");
  }

  private static String fmt(double v) {
    return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.4f", v);
  }

  static String esc(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
