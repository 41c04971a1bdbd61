package dev.strata.control;

import dev.strata.core.StrataException;

/**
 * Per-deployment counters a node reports, cumulative since it loaded {@code revision}.
 *
 * @param revision the deployment revision they count for
 * @param requests inference requests served
 * @param errors requests that failed
 * @param escalations requests escalated to the cloud (collaborative inference)
 */
public record DeploymentCounters(long revision, long requests, long errors, long escalations) {
  public DeploymentCounters {
    if (requests < 0 || errors < 0 || escalations < 0 || errors > requests) {
      throw StrataException.invalid(
          "deployment counters: requests=%d errors=%d escalations=%d (expected: >= 0, errors <="
              + " requests)",
          requests, errors, escalations);
    }
  }

  public double errorRate() {
    return requests == 0 ? 0 : (double) errors / requests;
  }
}
