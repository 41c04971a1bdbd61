package dev.strata.federated.secagg;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;

/**
 * One secure-aggregation round's public settings, the same for the server and every client.
 *
 * @param round a name unique to this round (job and round number); bound into every encrypted share
 *     so a share cannot be replayed into another round
 * @param threshold how many clients must answer the unmasking step (Shamir's k): the sum can be
 *     recovered while at least this many of those who masked are still there, and fewer than this
 *     many clients together learn nothing about another's input
 * @param clippingRange every input element is clamped to [-range, range]; the inputs of a round
 *     must be weighted so that their sum stays in that range (weights summing to at most 1)
 * @param length the number of elements of every input
 */
public record SecAggConfig(String round, int threshold, double clippingRange, int length) {
  /** The largest number of participants (Shamir's shares over GF(256) are numbered 1..255). */
  public static final int MAX_PARTICIPANTS = 255;

  public SecAggConfig {
    requireNonNull(round, "round");
    if (threshold < 2 || threshold > MAX_PARTICIPANTS) {
      throw StrataException.invalid(
          "secure aggregation threshold: %d (expected: 2..%d)", threshold, MAX_PARTICIPANTS);
    }
    if (!(clippingRange > 0) || !Double.isFinite(clippingRange)) {
      throw StrataException.invalid(
          "secure aggregation clipping range: %s (expected: > 0)", clippingRange);
    }
    if (length <= 0) {
      throw StrataException.invalid("secure aggregation length: %d (expected: > 0)", length);
    }
  }

  /**
   * The threshold for {@code participants} clients that survives {@code dropoutTolerance} of them
   * dropping after they masked: participants − floor(tolerance · participants), at least a majority
   * (so the server together with a minority learns nothing more than the sum).
   */
  public static int thresholdFor(int participants, double dropoutTolerance) {
    if (!(dropoutTolerance >= 0 && dropoutTolerance < 0.5)) {
      throw StrataException.invalid(
          "dropout tolerance: %s (expected: 0 <= tolerance < 0.5)", dropoutTolerance);
    }
    int t = participants - (int) Math.floor(dropoutTolerance * participants);
    return Math.max(Math.max(2, participants / 2 + 1), t);
  }

  /** The fixed-point scale: the clipping range maps onto 2^30, leaving headroom in 32 bits. */
  double scale() {
    return (1 << 30) / clippingRange;
  }
}
