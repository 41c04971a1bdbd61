package dev.strata.federated.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.StrataException;
import dev.strata.federated.secagg.Messages.EncryptedShare;
import dev.strata.federated.secagg.Messages.MaskedInput;
import dev.strata.federated.secagg.Messages.UnmaskRequest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class SecAggTest {
  private static final int N = 10;
  private static final int LENGTH = 2_000;

  /** Where a client stops: before advertising, after advertising, after sharing, after masking. */
  private enum Drop {
    NONE,
    BEFORE_KEYS,
    BEFORE_SHARES,
    BEFORE_MASKING,
    AFTER_MASKING
  }

  private record Outcome(
      float[] sum, float[] plain, SecAggServer server, List<MaskedInput> inputs) {}

  private static float[][] inputs(long seed) {
    Random r = new Random(seed);
    float[][] x = new float[N][LENGTH];
    for (float[] row : x) {
      for (int i = 0; i < LENGTH; i++) {
        row[i] = (float) (r.nextGaussian() * 0.05); // weighted updates: each a tenth of the whole
      }
    }
    return x;
  }

  private static Outcome round(float[][] x, Map<Integer, Drop> drops) {
    SecAggConfig config =
        new SecAggConfig("job-1/round-3", SecAggConfig.thresholdFor(N, 0.3), 1.0, LENGTH);
    SecureRandom random = new SecureRandom();
    SecAggServer server = new SecAggServer(config);
    Map<Integer, SecAggClient> clients = new TreeMap<>();
    for (int id = 1; id <= N; id++) {
      clients.put(id, new SecAggClient(id, config, random));
    }
    for (var c : clients.values()) {
      if (drops.getOrDefault(c.id(), Drop.NONE) != Drop.BEFORE_KEYS) {
        server.receive(c.advertise());
      }
    }
    for (var c : clients.values()) {
      Drop d = drops.getOrDefault(c.id(), Drop.NONE);
      if (d != Drop.BEFORE_KEYS && d != Drop.BEFORE_SHARES) {
        server.receiveShares(c.id(), c.shareKeys(server.adverts()));
      }
    }
    float[] plain = new float[LENGTH];
    List<MaskedInput> sent = new ArrayList<>();
    for (var c : clients.values()) {
      Drop d = drops.getOrDefault(c.id(), Drop.NONE);
      if (d == Drop.NONE || d == Drop.AFTER_MASKING) {
        MaskedInput m = c.mask(server.sharesFor(c.id()), x[c.id() - 1]);
        sent.add(m);
        if (d == Drop.NONE) {
          server.receive(m);
          for (int i = 0; i < LENGTH; i++) {
            plain[i] += x[c.id() - 1][i];
          }
        }
      }
    }
    UnmaskRequest req = server.unmaskRequest();
    for (int id : req.survivors()) {
      server.receive(clients.get(id).unmask(req));
    }
    return new Outcome(server.sum(), plain, server, sent);
  }

  private static void assertSumMatches(Outcome o, int reported) {
    double tol = FixedPoint.roundingError(reported, o.server().config()) + 1e-6;
    for (int i = 0; i < LENGTH; i++) {
      assertThat(Math.abs(o.sum()[i] - o.plain()[i]))
          .as("element %d", i)
          .isLessThanOrEqualTo((float) tol);
    }
  }

  @Test
  void theUnmaskedSumIsThePlainSum() {
    Outcome o = round(inputs(1), Map.of());
    assertThat(o.server().survivors()).hasSize(N);
    assertSumMatches(o, N);
  }

  @Test
  void threeOfTenDroppingAfterMaskingStillGiveTheRightSum() {
    Map<Integer, Drop> drops =
        Map.of(2, Drop.AFTER_MASKING, 5, Drop.AFTER_MASKING, 9, Drop.AFTER_MASKING);
    Outcome o = round(inputs(2), drops);
    assertThat(o.server().survivors()).hasSize(7).doesNotContain(2, 5, 9);
    assertThat(o.server().unmaskRequest().dropped()).containsExactlyInAnyOrder(2, 5, 9);
    assertSumMatches(o, 7);
  }

  @Test
  void clientsDroppingBeforeMaskingAreSimplyLeftOut() {
    Map<Integer, Drop> drops =
        Map.of(1, Drop.BEFORE_KEYS, 4, Drop.BEFORE_SHARES, 7, Drop.BEFORE_MASKING);
    Outcome o = round(inputs(3), drops);
    assertThat(o.server().survivors()).hasSize(7).doesNotContain(1, 4, 7);
    // 4 shared nothing: not even a pairwise mask to remove; 7 shared, so its key is reconstructed
    assertThat(o.server().sharers()).doesNotContain(1, 4).contains(7);
    assertSumMatches(o, 7);
  }

  @Test
  void tooManyDropoutsFailTheRoundWithoutRevealingAnything() {
    Map<Integer, Drop> drops = new TreeMap<>();
    for (int id : new int[] {1, 2, 3, 4}) {
      drops.put(id, Drop.AFTER_MASKING);
    }
    assertThatThrownBy(() -> round(inputs(4), drops))
        .isInstanceOf(StrataException.class)
        .hasMessageContaining("6 clients sent their input (expected: at least the threshold 7)");
  }

  @Test
  void aMaskedInputLooksUniformlyRandom() {
    // an input that is all the same value is as far from uniform as an input can be
    float[][] x = new float[N][LENGTH];
    for (float[] row : x) {
      Arrays.fill(row, 0.25f);
    }
    int[] values = new int[0];
    for (int attempt = 0; attempt < 25; attempt++) {
      Outcome o = round(x, Map.of());
      int[] v = o.inputs().get(attempt % N).values();
      values = Arrays.copyOf(values, values.length + v.length);
      System.arraycopy(v, 0, values, values.length - v.length, v.length);
    }
    int n = values.length; // 50,000 words
    long[] bins = new long[256];
    for (int v : values) {
      bins[v >>> 24]++;
    }
    double chi = 0;
    double expected = n / 256.0;
    for (long b : bins) {
      chi += (b - expected) * (b - expected) / expected;
    }
    // chi-square, 255 degrees of freedom: 330.5 is the 0.999 quantile
    assertThat(chi).isLessThan(330.5);
    // Kolmogorov-Smirnov against uniform on [0, 2^32): 1.95 / sqrt(n) at the 0.001 level
    double[] u = new double[n];
    for (int i = 0; i < n; i++) {
      u[i] = Integer.toUnsignedLong(values[i]) / 4294967296.0;
    }
    Arrays.sort(u);
    double d = 0;
    for (int i = 0; i < n; i++) {
      d = Math.max(d, Math.max((i + 1.0) / n - u[i], u[i] - (double) i / n));
    }
    assertThat(d).isLessThan(1.95 / Math.sqrt(n));
    // and the plain encoding is nothing like that: every word the same
    int[] plain = FixedPoint.encode(x[0], new SecAggConfig("r", 7, 1.0, LENGTH));
    assertThat(Arrays.stream(plain).distinct().count()).isEqualTo(1);
  }

  @Test
  void aClientRefusesToRevealBothSecretsOfOneClient() {
    SecAggConfig config = new SecAggConfig("r", 2, 1.0, 4);
    SecureRandom random = new SecureRandom();
    SecAggServer server = new SecAggServer(config);
    List<SecAggClient> cs =
        List.of(
            new SecAggClient(1, config, random),
            new SecAggClient(2, config, random),
            new SecAggClient(3, config, random));
    cs.forEach(c -> server.receive(c.advertise()));
    cs.forEach(c -> server.receiveShares(c.id(), c.shareKeys(server.adverts())));
    SecAggClient one = cs.getFirst();
    one.mask(server.sharesFor(1), new float[4]);
    assertThatThrownBy(() -> one.unmask(new UnmaskRequest(Set.of(1, 2, 3), Set.of(3))))
        .hasMessageContaining("client 3 named both surviving and dropped");
  }

  @Test
  void aTamperedOrMisroutedShareIsRefused() {
    SecAggConfig config = new SecAggConfig("r", 2, 1.0, 4);
    SecureRandom random = new SecureRandom();
    SecAggServer server = new SecAggServer(config);
    List<SecAggClient> cs =
        List.of(
            new SecAggClient(1, config, random),
            new SecAggClient(2, config, random),
            new SecAggClient(3, config, random));
    cs.forEach(c -> server.receive(c.advertise()));
    cs.forEach(c -> server.receiveShares(c.id(), c.shareKeys(server.adverts())));
    List<EncryptedShare> forOne = new ArrayList<>(server.sharesFor(1));
    EncryptedShare e = forOne.getFirst();
    byte[] bad = e.ciphertext().clone();
    bad[bad.length - 1] ^= 1;
    forOne.set(0, new EncryptedShare(e.from(), e.to(), bad));
    assertThatThrownBy(() -> cs.getFirst().mask(forOne, new float[4]))
        .hasMessageContaining("does not decrypt");
    assertThatThrownBy(() -> cs.get(1).mask(server.sharesFor(1), new float[4]))
        .hasMessageContaining("delivered to client 2");
    assertThatThrownBy(() -> server.receiveShares(1, List.of()))
        .hasMessageContaining("sent 0 shares (expected: 2");
  }

  @Test
  void thresholdKeepsAMajorityAndToleratesThirtyPercent() {
    assertThat(SecAggConfig.thresholdFor(10, 0.3)).isEqualTo(7);
    assertThat(SecAggConfig.thresholdFor(3, 0.3)).isEqualTo(3);
    assertThat(SecAggConfig.thresholdFor(100, 0.3)).isEqualTo(70);
    assertThat(SecAggConfig.thresholdFor(4, 0.49)).isEqualTo(3);
  }
}
