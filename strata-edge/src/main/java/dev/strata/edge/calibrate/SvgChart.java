package dev.strata.edge.calibrate;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The trade-off curve as a self-contained SVG (no scripts, fonts or images fetched from anywhere):
 * edge share on the x axis, cascade accuracy on the y axis, the edge-only and cloud-only accuracies
 * as dashed references and the chosen threshold marked.
 */
final class SvgChart {
  private static final int W = 720;
  private static final int H = 460;
  private static final int LEFT = 70;
  private static final int RIGHT = 30;
  private static final int TOP = 50;
  private static final int BOTTOM = 60;
  private static final int MAX_POINTS = 600;

  private SvgChart() {}

  static String render(Calibration c, CurvePoint chosen, String title) {
    return render(c, chosen, title, "accuracy", "accurate");
  }

  /**
   * As {@link #render(Calibration, CurvePoint, String)}, with the y axis's quantity named (e.g.
   * "quality" for a language model's word accuracy) and its adjective in the choice's label.
   */
  static String render(
      Calibration c, CurvePoint chosen, String title, String quantity, String adjective) {
    double lo = Math.min(c.edgeAccuracy(), c.cloudAccuracy());
    double hi = Math.max(c.edgeAccuracy(), c.cloudAccuracy());
    for (CurvePoint p : c.curve()) {
      lo = Math.min(lo, p.accuracy());
      hi = Math.max(hi, p.accuracy());
    }
    double yMin = Math.max(0, Math.floor((lo - 0.02) * 50) / 50);
    double yMax = Math.min(1, Math.ceil((hi + 0.02) * 50) / 50);
    if (yMax - yMin < 0.04) {
      yMin = Math.max(0, yMax - 0.04);
    }
    Axes a = new Axes(yMin, yMax);
    StringBuilder s = new StringBuilder(16_384);
    s.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                + " font-family=\"sans-serif\" font-size=\"12\">%n",
            W,
            H,
            W,
            H));
    s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"28\" font-size=\"15\" font-weight=\"bold\">%s</text>%n",
            LEFT,
            escape(title)));
    // grid and ticks
    for (int i = 0; i <= 10; i++) {
      double x = a.x(i / 10.0);
      s.append(line(x, TOP, x, H - BOTTOM, "#e5e5e5", ""));
      s.append(text(x, H - BOTTOM + 18, String.format(Locale.ROOT, "%d%%", i * 10), "middle"));
    }
    int yTicks = 8;
    for (int i = 0; i <= yTicks; i++) {
      double v = yMin + (yMax - yMin) * i / yTicks;
      double y = a.y(v);
      s.append(line(LEFT, y, W - RIGHT, y, "#e5e5e5", ""));
      s.append(text(LEFT - 8, y + 4, String.format(Locale.ROOT, "%.1f%%", v * 100), "end"));
    }
    s.append(line(LEFT, H - BOTTOM, W - RIGHT, H - BOTTOM, "#333", ""));
    s.append(line(LEFT, TOP, LEFT, H - BOTTOM, "#333", ""));
    s.append(
        text((LEFT + W - RIGHT) / 2.0, H - 18, "share of inputs answered on the edge", "middle"));
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"18\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 18 %.1f)\">"
                + "cascade %s</text>%n",
            (TOP + H - BOTTOM) / 2.0,
            (TOP + H - BOTTOM) / 2.0,
            quantity));
    // references
    s.append(
        line(LEFT, a.y(c.cloudAccuracy()), W - RIGHT, a.y(c.cloudAccuracy()), "#1f77b4", "6,4"));
    s.append(
        text(
            W - RIGHT - 4,
            a.y(c.cloudAccuracy()) - 5,
            String.format(Locale.ROOT, "cloud only %.2f%%", c.cloudAccuracy() * 100),
            "end"));
    s.append(line(LEFT, a.y(c.edgeAccuracy()), W - RIGHT, a.y(c.edgeAccuracy()), "#ff7f0e", "6,4"));
    s.append(
        text(
            W - RIGHT - 4,
            a.y(c.edgeAccuracy()) + 14,
            String.format(Locale.ROOT, "edge only %.2f%%", c.edgeAccuracy() * 100),
            "end"));
    // the curve
    StringBuilder points = new StringBuilder();
    for (CurvePoint p : thin(c.curve())) {
      points.append(
          String.format(Locale.ROOT, "%.1f,%.1f ", a.x(p.edgeShare()), a.y(p.accuracy())));
    }
    s.append("<polyline fill=\"none\" stroke=\"#2ca02c\" stroke-width=\"2\" points=\"")
        .append(points.toString().trim())
        .append("\"/>\n");
    // the choice
    double cx = a.x(chosen.edgeShare());
    double cy = a.y(chosen.accuracy());
    s.append(
        String.format(
            Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"#d62728\"/>%n", cx, cy));
    s.append(
        text(
            cx + (chosen.edgeShare() > 0.6 ? -8 : 8),
            cy - 10,
            String.format(
                Locale.ROOT,
                "threshold %.4f: %.1f%% on edge, %.2f%% %s",
                chosen.threshold(),
                chosen.edgeShare() * 100,
                chosen.accuracy() * 100,
                adjective),
            chosen.edgeShare() > 0.6 ? "end" : "start"));
    s.append("</svg>\n");
    return s.toString();
  }

  /** At most {@link #MAX_POINTS} points, keeping the ends. */
  private static List<CurvePoint> thin(List<CurvePoint> curve) {
    if (curve.size() <= MAX_POINTS) {
      return curve;
    }
    List<CurvePoint> out = new ArrayList<>(MAX_POINTS + 1);
    double step = (curve.size() - 1) / (double) (MAX_POINTS - 1);
    for (int i = 0; i < MAX_POINTS; i++) {
      out.add(curve.get((int) Math.round(i * step)));
    }
    return out;
  }

  private record Axes(double yMin, double yMax) {
    double x(double share) {
      return LEFT + share * (W - LEFT - RIGHT);
    }

    double y(double accuracy) {
      return H - BOTTOM - (accuracy - yMin) / (yMax - yMin) * (H - TOP - BOTTOM);
    }
  }

  private static String line(
      double x1, double y1, double x2, double y2, String color, String dash) {
    return String.format(
        Locale.ROOT,
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"%s/>%n",
        x1,
        y1,
        x2,
        y2,
        color,
        dash.isEmpty() ? "" : " stroke-dasharray=\"" + dash + "\"");
  }

  private static String text(double x, double y, String t, String anchor) {
    return String.format(
        Locale.ROOT,
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>%n",
        x,
        y,
        anchor,
        escape(t));
  }

  private static String escape(String t) {
    return t.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
