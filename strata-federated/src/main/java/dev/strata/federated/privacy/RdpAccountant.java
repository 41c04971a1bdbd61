package dev.strata.federated.privacy;

import dev.strata.core.StrataException;

/**
 * Rényi differential privacy of the sampled Gaussian mechanism (Mironov 2017; Mironov, Talwar and
 * Zhang 2019), composed over rounds and converted to (ε, δ). Client-level DP-FedAvg is that
 * mechanism with each client an individual: a round samples clients with probability q = clients
 * per round / clients, each update clipped to norm C, Gaussian noise of σ·C on the sum.
 *
 * <p>RDP is computed at integer orders 2..256 by the exact binomial expansion for Poisson sampling,
 * in log space; ε uses the conversion of Balle et al. 2020 (Canonne, Kamath, Steinke), the one
 * Opacus and TensorFlow Privacy use. Sampling a fixed number of clients per round is accounted as
 * Poisson sampling at the same rate, as those libraries do.
 */
public final class RdpAccountant {
  /** The δ Strata reports ε at. */
  public static final double DELTA_REPORTED = 1e-5;

  private static final int MIN_ORDER = 2;
  private static final int MAX_ORDER = 256;

  /** log(n!) for n up to the largest order: the binomial terms are summed 255 times a step. */
  private static final double[] LOG_FACTORIAL = new double[MAX_ORDER + 1];

  static {
    for (int n = 2; n <= MAX_ORDER; n++) {
      LOG_FACTORIAL[n] = LOG_FACTORIAL[n - 1] + Math.log(n);
    }
  }

  private final double[] rdp = new double[MAX_ORDER - MIN_ORDER + 1];
  private long steps;

  /**
   * Accounts {@code count} rounds at sampling rate {@code q} and noise multiplier {@code sigma}.
   */
  public void step(double q, double sigma, long count) {
    if (!(q > 0 && q <= 1)) {
      throw StrataException.invalid("sampling rate: %s (expected: 0 < q <= 1)", q);
    }
    if (!(sigma > 0) || !Double.isFinite(sigma)) {
      throw StrataException.invalid("noise multiplier: %s (expected: > 0)", sigma);
    }
    for (int i = 0; i < rdp.length; i++) {
      rdp[i] += count * rdpAt(q, sigma, MIN_ORDER + i);
    }
    steps += count;
  }

  /** ε at {@code delta} after {@code steps} rounds at rate {@code q} and noise {@code sigma}. */
  public static double epsilon(double q, double sigma, long steps, double delta) {
    RdpAccountant a = new RdpAccountant();
    a.step(q, sigma, steps);
    return a.epsilon(delta);
  }

  public long steps() {
    return steps;
  }

  /** The smallest ε over the orders for which the composed mechanism is (ε, δ)-DP. */
  public double epsilon(double delta) {
    if (!(delta > 0 && delta < 1)) {
      throw StrataException.invalid("delta: %s (expected: 0 < delta < 1)", delta);
    }
    if (steps == 0) {
      return 0;
    }
    double best = Double.POSITIVE_INFINITY;
    for (int i = 0; i < rdp.length; i++) {
      double a = MIN_ORDER + i;
      double eps = rdp[i] + Math.log1p(-1 / a) - (Math.log(delta) + Math.log(a)) / (a - 1);
      best = Math.min(best, eps);
    }
    return Math.max(0, best);
  }

  /**
   * RDP of one sampled Gaussian step at integer order {@code alpha}: log(A_α)/(α−1) with A_α = Σ_k
   * C(α,k) (1−q)^(α−k) q^k exp((k²−k)/(2σ²)).
   */
  public static double rdpAt(double q, double sigma, int alpha) {
    if (q == 1) {
      return alpha / (2 * sigma * sigma);
    }
    double logA = Double.NEGATIVE_INFINITY;
    double logQ = Math.log(q);
    double log1mQ = Math.log1p(-q);
    for (int k = 0; k <= alpha; k++) {
      double term =
          logBinomial(alpha, k)
              + k * logQ
              + (alpha - k) * log1mQ
              + (k * (double) k - k) / (2 * sigma * sigma);
      logA = logAdd(logA, term);
    }
    return logA / (alpha - 1);
  }

  static double logBinomial(int n, int k) {
    return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
  }

  private static double logFactorial(int n) {
    return LOG_FACTORIAL[n];
  }

  private static double logAdd(double a, double b) {
    if (a == Double.NEGATIVE_INFINITY) {
      return b;
    }
    double hi = Math.max(a, b);
    return hi + Math.log1p(Math.exp(Math.min(a, b) - hi));
  }
}
