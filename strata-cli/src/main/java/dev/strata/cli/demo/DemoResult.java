package dev.strata.cli.demo;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * What a demo run measured.
 *
 * @param firstRun whether the data directory was new
 * @param calibration the threshold and the trade-off it was chosen from
 * @param summary the figures over the held-out images
 * @param observations each held-out image's answers and latencies
 */
record DemoResult(
    boolean firstRun,
    CascadeCalibration calibration,
    DemoSummary summary,
    List<Observation> observations) {
  DemoResult {
    requireNonNull(calibration, "calibration");
    requireNonNull(summary, "summary");
    observations = List.copyOf(observations);
  }
}
