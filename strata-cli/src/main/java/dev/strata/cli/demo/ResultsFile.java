package dev.strata.cli.demo;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.control.Json;
import dev.strata.core.AtomicFiles;
import dev.strata.edge.calibrate.CurvePoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code results.json} in the data directory: the run's figures for scripts, and every held-out
 * image's answers (class, where the cascade was answered, latencies in microseconds).
 */
final class ResultsFile {
  private ResultsFile() {}

  static void write(Path file, DemoResult r) throws IOException {
    write(file, r, null);
  }

  /**
   * @param int8 the summary of the run with the int8 variant on the edges ({@code --edge-variant
   *     int8}), or null
   */
  static void write(Path file, DemoResult r, DemoSummary int8) throws IOException {
    ObjectNode root = Json.mapper().createObjectNode();
    ObjectNode cal = root.putObject("calibration");
    CascadeCalibration c = r.calibration();
    cal.put("images", c.images());
    cal.put("measure", c.policy().measure().name());
    cal.put("threshold", c.policy().threshold());
    cal.put("edgeShare", c.chosen().edgeShare());
    cal.put("accuracy", c.chosen().accuracy());
    cal.put("edgeAccuracy", c.calibration().edgeAccuracy());
    cal.put("cloudAccuracy", c.calibration().cloudAccuracy());
    cal.put("targetMet", c.targetMet());
    ArrayNode curve = cal.putArray("curve");
    for (CurvePoint p : c.sampledCurve(20)) {
      ObjectNode n = curve.addObject();
      n.put("threshold", p.threshold());
      n.put("edgeShare", p.edgeShare());
      n.put("accuracy", p.accuracy());
    }
    DemoSummary s = r.summary();
    summary(root.putObject("summary"), s);
    if (int8 != null) {
      summary(root.putObject("int8Summary"), int8);
    }
    ArrayNode images = root.putArray("images");
    for (Observation o : r.observations()) {
      ObjectNode n = images.addObject();
      n.put("label", o.label());
      n.put("edge", o.edge());
      n.put("edgeOnly", o.edgeOnly().predicted());
      n.put("cloudOnly", o.cloudOnly().predicted());
      n.put("cascade", o.cascade().predicted());
      n.put("servedBy", o.servedBy().wireName());
      n.put("edgeOnlyMicros", o.edgeOnly().nanos() / 1000);
      n.put("cloudOnlyMicros", o.cloudOnly().nanos() / 1000);
      n.put("cascadeMicros", o.cascade().nanos() / 1000);
    }
    AtomicFiles.write(file, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
  }

  private static void summary(ObjectNode sum, DemoSummary s) {
    sum.put("images", s.images());
    sum.put("edgeShare", s.edgeShare());
    path(sum.putObject("edgeOnly"), s.edgeOnly());
    path(sum.putObject("cloudOnly"), s.cloudOnly());
    path(sum.putObject("cascade"), s.cascade());
    path(sum.putObject("cascadeAtEdge"), s.cascadeAtEdge());
    path(sum.putObject("cascadeAtCloud"), s.cascadeAtCloud());
    path(sum.putObject("cascadeFallback"), s.cascadeFallback());
  }

  private static void path(ObjectNode n, PathResult p) {
    n.put("count", p.count());
    n.put("correct", p.correct());
    n.put("accuracy", Double.parseDouble(String.format(Locale.ROOT, "%.6f", p.accuracy())));
    n.put("p50Millis", p.p50Nanos() / 1e6);
    n.put("p99Millis", p.p99Nanos() / 1e6);
  }
}
