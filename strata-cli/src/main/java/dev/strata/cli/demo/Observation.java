package dev.strata.cli.demo;

import static java.util.Objects.requireNonNull;

import dev.strata.edge.ServedBy;

/**
 * One held-out image sent down all three paths.
 *
 * @param label the image's class
 * @param edge which edge it went through (0 or 1)
 * @param edgeOnly the edge model's answer alone (through the edge, asked for {@code edge-only})
 * @param cloudOnly the cloud model's answer (the cloud's own {@code /v2})
 * @param cascade the answer through the edge under the deployment's cascade policy
 * @param servedBy who answered the cascade request, as the edge says
 */
record Observation(
    int label, int edge, Answer edgeOnly, Answer cloudOnly, Answer cascade, ServedBy servedBy) {
  Observation {
    requireNonNull(edgeOnly, "edgeOnly");
    requireNonNull(cloudOnly, "cloudOnly");
    requireNonNull(cascade, "cascade");
    requireNonNull(servedBy, "servedBy");
  }

  /**
   * One path's answer.
   *
   * @param predicted the class answered
   * @param nanos the request's latency as the client saw it (sending to answer decoded)
   */
  record Answer(int predicted, long nanos) {
    Answer {
      if (nanos < 0) {
        throw new IllegalArgumentException("latency: " + nanos + " ns (expected: >= 0)");
      }
    }
  }
}
