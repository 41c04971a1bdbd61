package dev.strata.federated.privacy;

import dev.strata.core.StrataException;
import java.util.Random;

/**
 * Client-level differential privacy for a federated round (McMahan et al. 2018, DP-FedAvg): every
 * update is clipped to L2 norm {@code clip}, and the sum of a round's updates carries Gaussian
 * noise of standard deviation {@code noiseMultiplier · clip}. With secure aggregation the server
 * never sees one update, so the noise is distributed: each of the round's {@code m} expected
 * clients adds its share, standard deviation {@code noiseMultiplier · clip / sqrt(m)}, and the
 * shares add up to the full noise when all {@code m} report (fewer reports give less noise: the
 * accountant's ε then understates the loss, as in every distributed-noise scheme).
 *
 * @param noiseMultiplier σ, the noise's standard deviation in units of the clip norm
 * @param clip the L2 norm bound C of one client's update
 */
public record ClientPrivacy(double noiseMultiplier, double clip) {
  public ClientPrivacy {
    if (!(noiseMultiplier >= 0) || !Double.isFinite(noiseMultiplier)) {
      throw StrataException.invalid("dp noise multiplier: %s (expected: >= 0)", noiseMultiplier);
    }
    if (!(clip > 0) || !Double.isFinite(clip)) {
      throw StrataException.invalid("dp clip norm: %s (expected: > 0)", clip);
    }
  }

  /** Scales {@code update} in place to norm at most {@link #clip}; returns its norm before. */
  public double clipInPlace(float[] update) {
    double sq = 0;
    for (float v : update) {
      sq += (double) v * v;
    }
    double norm = Math.sqrt(sq);
    if (norm > clip) {
      float f = (float) (clip / norm);
      for (int i = 0; i < update.length; i++) {
        update[i] *= f;
      }
    }
    return norm;
  }

  /** Adds Gaussian noise of standard deviation {@code std} to every element. */
  public static void addNoise(float[] v, double std, Random random) {
    if (std == 0) {
      return;
    }
    for (int i = 0; i < v.length; i++) {
      v[i] += (float) (random.nextGaussian() * std);
    }
  }

  /** The standard deviation of the noise on the whole sum. */
  public double sumStd() {
    return noiseMultiplier * clip;
  }

  /** One client's share of the sum's noise when {@code clients} report. */
  public double shareStd(int clients) {
    return sumStd() / Math.sqrt(clients);
  }
}
