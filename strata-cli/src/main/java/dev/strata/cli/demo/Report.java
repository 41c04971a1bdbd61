package dev.strata.cli.demo;

import dev.strata.cloud.CloudServer;
import dev.strata.edge.EdgeAgent;
import dev.strata.edge.calibrate.CurvePoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The demo's lines for people: the calibration, the edges, the endpoints. */
final class Report {
  private Report() {}

  static String calibration(CascadeCalibration c, CascadeTarget target) {
    CurvePoint p = c.chosen();
    String measure = c.policy().measure().name().toLowerCase(Locale.ROOT).replace('_', '-');
    return String.format(
        Locale.ROOT,
        "%s threshold %s for %s: %s kept at the edge, cascade %s accurate"
            + " (edge alone %s, cloud alone %s)%s",
        measure,
        Double.toString(c.policy().threshold()),
        target.describe(),
        SummaryTable.percent(p.edgeShare(), 1),
        SummaryTable.percent(p.accuracy(), 2),
        SummaryTable.percent(c.calibration().edgeAccuracy(), 2),
        SummaryTable.percent(c.calibration().cloudAccuracy(), 2),
        c.targetMet() ? "" : " [target not reached: the most accurate threshold]");
  }

  static String edges(DemoEdges edges) {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < edges.agents().size(); i++) {
      EdgeSite site = edges.sites().get(i);
      parts.add(
          site.name()
              + " ("
              + labels(site.labels())
              + ") http://127.0.0.1:"
              + edges.agents().get(i).httpPort());
    }
    return String.join(", ", parts);
  }

  static String endpoints(
      CloudServer cloud,
      DemoEdges edges,
      Path adminTokenFile,
      Path dataDir,
      Path samples,
      boolean keepsRunning) {
    String base = cloud.httpUri().toString();
    StringBuilder out = new StringBuilder();
    out.append(
        keepsRunning
            ? "Running; Ctrl-C stops everything.\n"
            : "Endpoints (stopped now: --no-wait):\n");
    line(
        out,
        "cloud API",
        base
            + "/api/v1"
            + (adminTokenFile != null ? "   (admin token: " + adminTokenFile + ")" : ""));
    line(
        out,
        "cloud /v2",
        base
            + "/v2/models/"
            + Demo.CLOUD_MODEL
            + cloud.grpcPort().stream()
                .mapToObj(p -> "   gRPC 127.0.0.1:" + p)
                .findFirst()
                .orElse(""));
    for (int i = 0; i < edges.agents().size(); i++) {
      EdgeAgent a = edges.agents().get(i);
      line(
          out,
          "edge "
              + edges.sites().get(i).labels().getOrDefault("site", Integer.toString(i))
              + " /v2",
          "http://127.0.0.1:"
              + a.httpPort()
              + "/v2/models/"
              + Demo.EDGE_MODEL
              + a.grpcPort().stream()
                  .mapToObj(p -> "   gRPC 127.0.0.1:" + p)
                  .findFirst()
                  .orElse(""));
    }
    line(out, "results", dataDir.resolve("results.json").toString());
    line(out, "log", dataDir.resolve("demo.log").toString());
    if (keepsRunning && !edges.agents().isEmpty()) {
      out.append("Try:\n");
      out.append(
          String.format(
              "  ./strata infer --url http://127.0.0.1:%d --model %s --input %s --top-k 3%n",
              edges.agents().getFirst().httpPort(),
              Demo.EDGE_MODEL,
              samples.resolve("ankle-boot.png")));
      if (adminTokenFile != null) {
        out.append(
            String.format(
                "  curl -H \"Authorization: Bearer $(cat %s)\" %s/api/v1/deployments/%s/status%n",
                adminTokenFile, base, Demo.EDGE_MODEL));
      }
    }
    return out.toString();
  }

  private static void line(StringBuilder out, String name, String value) {
    out.append(String.format(Locale.ROOT, "  %-11s %s%n", name, value));
  }

  private static String labels(Map<String, String> labels) {
    List<String> parts = new ArrayList<>();
    new TreeMap<>(labels).forEach((k, v) -> parts.add(k + "=" + v));
    return String.join(",", parts);
  }
}
