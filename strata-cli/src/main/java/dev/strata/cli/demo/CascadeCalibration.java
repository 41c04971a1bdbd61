package dev.strata.cli.demo;

import static java.util.Objects.requireNonNull;

import dev.strata.control.ConfidenceMeasure;
import dev.strata.control.InferencePolicy;
import dev.strata.core.AtomicFiles;
import dev.strata.core.InferenceResponse;
import dev.strata.core.StrataException;
import dev.strata.edge.Confidence;
import dev.strata.edge.ScoreSpec;
import dev.strata.edge.calibrate.Calibration;
import dev.strata.edge.calibrate.CurvePoint;
import dev.strata.protocol.client.StrataClient;
import dev.strata.runtime.ModelManager;
import dev.strata.runtime.RuntimeConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Chooses the cascade threshold on the calibration images: the edge model runs in this process on
 * the edge's runtime (a copy of the very file deployed to the edges, scored with the edge's own
 * code, {@link ScoreSpec} and {@link Confidence}), the cloud model answers over the cloud's {@code
 * /v2}; strata-edge's {@link Calibration} then gives the trade-off of every threshold.
 *
 * @param calibration the trade-off curve
 * @param chosen the threshold chosen for the target
 * @param targetMet whether the chosen threshold reaches the target
 * @param policy the cascade policy to deploy (threshold rounded to 6 decimals, as {@code strata
 *     calibrate} prints it)
 * @param images how many images it was calibrated on
 */
record CascadeCalibration(
    Calibration calibration,
    CurvePoint chosen,
    boolean targetMet,
    InferencePolicy.Cascade policy,
    int images) {
  private static final int BATCH = 32;
  private static final String EDGE_NAME = "edge";

  CascadeCalibration {
    requireNonNull(calibration, "calibration");
    requireNonNull(chosen, "chosen");
    requireNonNull(policy, "policy");
  }

  /**
   * The point with the smallest edge share of at least {@code share} (the most accurate of ties).
   */
  static Calibration.Choice atShare(Calibration cal, double share) {
    CurvePoint best = null;
    for (CurvePoint p : cal.curve()) {
      if (p.edgeShare() >= share
          && (best == null
              || p.edgeShare() < best.edgeShare()
              || (p.edgeShare() == best.edgeShare() && p.accuracy() > best.accuracy()))) {
        best = p;
      }
    }
    // the curve always holds threshold 0, everything on the edge, which meets any share
    return new Calibration.Choice(best == null ? cal.curve().getFirst() : best, best != null);
  }

  /**
   * The curve at about {@code steps + 1} evenly spaced edge shares (the point nearest to each),
   * from the highest share down.
   */
  List<CurvePoint> sampledCurve(int steps) {
    List<CurvePoint> out = new ArrayList<>();
    for (int i = steps; i >= 0; i--) {
      double share = (double) i / steps;
      CurvePoint nearest = null;
      for (CurvePoint p : calibration.curve()) {
        if (nearest == null
            || Math.abs(p.edgeShare() - share) < Math.abs(nearest.edgeShare() - share)) {
          nearest = p;
        }
      }
      if (!out.contains(nearest)) {
        out.add(nearest);
      }
    }
    return out;
  }

  /**
   * Runs both models over {@code images} and chooses the threshold.
   *
   * @param edgeModel the edge model's ONNX file
   * @param cloud a client of the cloud's inference endpoint, serving {@code cloudModel}
   * @param workDir a directory for the edge model's temporary repository (deleted afterwards)
   */
  static CascadeCalibration run(
      Path edgeModel,
      StrataClient cloud,
      String cloudModel,
      List<LabelledImage> images,
      ConfidenceMeasure measure,
      CascadeTarget target,
      Path workDir)
      throws IOException {
    if (images.isEmpty()) {
      throw new IllegalArgumentException("calibration: no images (expected: at least one)");
    }
    int n = images.size();
    double[] scores = new double[n];
    boolean[] edgeRight = new boolean[n];
    boolean[] cloudRight = new boolean[n];
    Path repo = workDir.resolve("calibration");
    AtomicFiles.deleteTree(workDir);
    Files.createDirectories(repo.resolve(EDGE_NAME).resolve("1"));
    Files.copy(edgeModel, repo.resolve(EDGE_NAME).resolve("1").resolve("model.onnx"));
    try (ModelManager edge =
        ModelManager.create(
            RuntimeConfig.builder(repo).drainTimeout(Duration.ofSeconds(5)).build())) {
      edge.startup().join();
      ScoreSpec spec =
          ScoreSpec.of(edge.modelMetadata(EDGE_NAME, Optional.empty()))
              .orElseThrow(
                  () ->
                      StrataException.invalid(
                          "%s has no floating-point output to score", edgeModel));
      for (int from = 0; from < n; from += BATCH) {
        List<LabelledImage> batch = images.subList(from, Math.min(n, from + BATCH));
        InferenceResponse e =
            edge.infer(Classifications.request(EDGE_NAME, batch, Map.of(), Duration.ofSeconds(60)))
                .join();
        InferenceResponse c =
            cloud.infer(
                Classifications.request(cloudModel, batch, Map.of(), Duration.ofSeconds(60)));
        List<double[]> edgeRows =
            spec.rows(
                e.output(spec.output())
                    .orElseThrow(
                        () ->
                            StrataException.invalid(
                                "the edge model answered without %s", spec.output())));
        List<double[]> cloudRows = Classifications.rows(c);
        if (edgeRows.size() != batch.size() || cloudRows.size() != batch.size()) {
          throw StrataException.invalid(
              "calibration: %d images gave %d edge and %d cloud answers",
              batch.size(), edgeRows.size(), cloudRows.size());
        }
        for (int i = 0; i < batch.size(); i++) {
          double[] p = spec.distribution(edgeRows.get(i));
          int label = batch.get(i).label();
          scores[from + i] = Confidence.score(measure, p);
          edgeRight[from + i] = Classifications.argmax(p) == label;
          cloudRight[from + i] = Classifications.argmax(cloudRows.get(i)) == label;
        }
      }
    } finally {
      AtomicFiles.deleteTree(workDir);
    }
    Calibration cal = Calibration.of(measure, scores, edgeRight, cloudRight);
    Calibration.Choice choice =
        switch (target) {
          case CascadeTarget.EdgeShare s -> atShare(cal, s.share());
          case CascadeTarget.Accuracy a -> cal.forAccuracy(a.accuracy());
        };
    double threshold = Math.round(choice.point().threshold() * 1e6) / 1e6;
    return new CascadeCalibration(
        cal,
        choice.point(),
        choice.targetMet(),
        new InferencePolicy.Cascade(measure, threshold, Optional.of(cloudModel)),
        n);
  }
}
