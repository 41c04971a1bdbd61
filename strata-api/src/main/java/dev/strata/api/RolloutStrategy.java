package dev.strata.api;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.strata.core.StrataException;

/** How a new revision reaches the nodes. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = RolloutStrategy.AllAtOnce.class, name = "all-at-once"),
  @JsonSubTypes.Type(value = RolloutStrategy.Canary.class, name = "canary")
})
public sealed interface RolloutStrategy {
  RolloutStrategy ALL_AT_ONCE = new AllAtOnce();

  /** Every matching node gets the new revision at once. */
  record AllAtOnce() implements RolloutStrategy {}

  /**
   * A share of the matching nodes (chosen when the revision is applied, online nodes first) gets
   * the new revision; the rest keep the previous one until it is promoted. The canary is rolled
   * back automatically when a canary node reports the revision failed to load, or an error rate
   * over {@code maxErrorRate} once it has served {@code minRequests}.
   *
   * @param percent the share of matching nodes in the canary, 1-100 (at least one node)
   * @param promoteAfterHeartbeats promote automatically once every canary node has reported the
   *     revision ready and healthy this many heartbeats in a row; 0 to promote only on demand
   * @param maxErrorRate the error rate above which the canary is rolled back, 0-1
   * @param minRequests requests a canary node must have served before its error rate counts
   */
  record Canary(int percent, int promoteAfterHeartbeats, double maxErrorRate, long minRequests)
      implements RolloutStrategy {
    public Canary {
      if (percent < 1 || percent > 100) {
        throw StrataException.invalid("canary percent: %d (expected: 1-100)", percent);
      }
      if (promoteAfterHeartbeats < 0) {
        throw StrataException.invalid(
            "canary promoteAfterHeartbeats: %d (expected: >= 0, 0 for manual)",
            promoteAfterHeartbeats);
      }
      if (!(maxErrorRate >= 0 && maxErrorRate <= 1)) {
        throw StrataException.invalid("canary maxErrorRate: %s (expected: 0-1)", maxErrorRate);
      }
      if (minRequests < 0) {
        throw StrataException.invalid("canary minRequests: %d (expected: >= 0)", minRequests);
      }
    }

    /** A canary with the usual thresholds: 5% errors over at least 20 requests. */
    public static Canary of(int percent, int promoteAfterHeartbeats) {
      return new Canary(percent, promoteAfterHeartbeats, 0.05, 20);
    }
  }
}
