package dev.strata.federated.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class RdpAccountantTest {
  @Test
  void fullBatchIsTheGaussianMechanismsClosedForm() {
    for (int a : new int[] {2, 5, 32}) {
      assertThat(RdpAccountant.rdpAt(1.0, 1.5, a)).isCloseTo(a / (2 * 1.5 * 1.5), within(1e-12));
    }
    // q close to 1 agrees with the closed form
    assertThat(RdpAccountant.rdpAt(1 - 1e-12, 1.5, 8)).isCloseTo(8 / 4.5, within(1e-6));
  }

  @Test
  void binomialExpansionAgreesWithNumericalIntegration() {
    // A_alpha = E_{z~N(0,s^2)} [((1-q) + q exp((2z-1)/(2 s^2)))^alpha], integrated independently
    double q = 0.1;
    double s = 1.2;
    for (int alpha : new int[] {2, 4, 10}) {
      double sum = 0;
      double h = 1e-3;
      // the integrand peaks near z = alpha: integrate well past it
      for (double z = -12 * s; z <= alpha + 12 * s; z += h) {
        double density = Math.exp(-z * z / (2 * s * s)) / (s * Math.sqrt(2 * Math.PI));
        double ratio = (1 - q) + q * Math.exp((2 * z - 1) / (2 * s * s));
        sum += density * Math.pow(ratio, alpha) * h;
      }
      double expected = Math.log(sum) / (alpha - 1);
      assertThat(RdpAccountant.rdpAt(q, s, alpha)).isCloseTo(expected, within(1e-6));
    }
  }

  @Test
  void epsilonGrowsWithRoundsAndShrinksWithNoise() {
    RdpAccountant a = new RdpAccountant();
    assertThat(a.epsilon(1e-5)).isZero();
    a.step(0.1, 1.0, 10);
    double e10 = a.epsilon(1e-5);
    a.step(0.1, 1.0, 40);
    double e50 = a.epsilon(1e-5);
    RdpAccountant quiet = new RdpAccountant();
    quiet.step(0.1, 2.0, 50);
    assertThat(e10).isPositive().isLessThan(e50);
    assertThat(quiet.epsilon(1e-5)).isLessThan(e50);
    assertThat(a.steps()).isEqualTo(50);
    // composition is additive: one call of 50 equals 10 + 40
    RdpAccountant once = new RdpAccountant();
    once.step(0.1, 1.0, 50);
    assertThat(once.epsilon(1e-5)).isCloseTo(e50, within(1e-9));
  }

  @Test
  void badParametersAreNamed() {
    RdpAccountant a = new RdpAccountant();
    assertThatThrownBy(() -> a.step(0, 1, 1)).hasMessageContaining("sampling rate");
    assertThatThrownBy(() -> a.step(0.1, 0, 1)).hasMessageContaining("noise multiplier");
    assertThatThrownBy(() -> a.epsilon(0)).hasMessageContaining("delta");
  }

  @Test
  void clippingBoundsTheNormAndNoiseHasTheStatedSpread() {
    ClientPrivacy p = new ClientPrivacy(1.0, 2.0);
    float[] u = {3, 4};
    assertThat(p.clipInPlace(u)).isEqualTo(5.0);
    assertThat(Math.hypot(u[0], u[1])).isCloseTo(2.0, within(1e-6));
    float[] small = {0.3f, 0.4f};
    p.clipInPlace(small);
    assertThat(small).containsExactly(0.3f, 0.4f);
    float[] noise = new float[200_000];
    ClientPrivacy.addNoise(noise, p.shareStd(4), new Random(1));
    double sq = 0;
    for (float v : noise) {
      sq += v * v;
    }
    assertThat(Math.sqrt(sq / noise.length)).isCloseTo(1.0, within(0.01));
  }
}
