package dev.strata.federated.sim;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import dev.strata.federated.aggregate.Aggregator;
import dev.strata.federated.aggregate.ClientUpdate;
import dev.strata.federated.client.LocalTrainer;
import dev.strata.federated.client.LocalTraining;
import dev.strata.federated.privacy.ClientPrivacy;
import dev.strata.federated.privacy.RdpAccountant;
import dev.strata.federated.secagg.Messages;
import dev.strata.federated.secagg.SecAggClient;
import dev.strata.federated.secagg.SecAggConfig;
import dev.strata.federated.secagg.SecAggServer;
import dev.strata.train.data.Features;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * A federated job in one process: the same client training ({@link LocalTrainer}), aggregation
 * ({@link Aggregator}), secure aggregation and differential privacy code the fleet runs, with the
 * clients' data dealt out by a {@link Partition} and the global model evaluated on the test set
 * after every round.
 */
public final class Simulation {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Simulation.class);

  /** δ of the reported (ε, δ). */
  public static final double DELTA = 1e-5;

  private final SimulationOptions options;
  private final LocalTrainer trainer;
  private final Features train;
  private final Features test;
  private final int classes;

  public Simulation(
      SimulationOptions options, LocalTrainer trainer, Features train, Features test, int classes) {
    this.options = requireNonNull(options, "options");
    this.trainer = requireNonNull(trainer, "trainer");
    this.train = requireNonNull(train, "train");
    this.test = requireNonNull(test, "test");
    this.classes = classes;
  }

  /**
   * Runs every round, giving each round's result to {@code onRound}; returns the final model. With
   * DP, stops early (with a warning) before a round would take ε past {@code budget}.
   */
  public float[] run(Consumer<RoundResult> onRound, double budget) {
    SimulationOptions o = options;
    int[][] parts = o.partition().split(train.labels(), classes, o.clients(), o.seed());
    List<Features> data = new ArrayList<>();
    for (int[] p : parts) {
      data.add(train.subset(p));
    }
    float[] global = trainer.initialParameters();
    Aggregator aggregator = new Aggregator(o.strategy(), trainer.statistics());
    RdpAccountant accountant = new RdpAccountant();
    Random sampling = new Random(o.seed() * 31 + 7);
    Random noise = new Random(o.seed() * 131 + 3);
    SecureRandom crypto = new SecureRandom();
    double q = (double) o.perRound() / o.clients();
    for (int round = 1; round <= o.rounds(); round++) {
      if (o.privacy().isPresent() && o.privacy().get().noiseMultiplier() > 0) {
        double next = RdpAccountant.epsilon(q, o.privacy().get().noiseMultiplier(), round, DELTA);
        if (next > budget) {
          log.warn(
              "privacy budget: round {} would spend epsilon {} > {} (delta {}); stopping after {} rounds",
              round,
              String.format(java.util.Locale.ROOT, "%.3f", next),
              budget,
              DELTA,
              round - 1);
          break;
        }
      }
      long start = System.nanoTime();
      int[] chosen = sample(o.clients(), o.perRound(), sampling);
      int drops = (int) Math.floor(o.dropout() * chosen.length);
      boolean[] dropped = new boolean[chosen.length];
      for (int i : sample(chosen.length, drops, sampling)) {
        dropped[i] = true;
      }
      List<ClientUpdate> updates = new ArrayList<>();
      LocalTraining local =
          o.local()
              .withProximal(o.strategy())
              .withLearningRate(
                  LocalTraining.cosine(
                      o.local().learningRate(), o.learningRateFloor(), round, o.rounds()));
      for (int i = 0; i < chosen.length; i++) {
        int c = chosen[i];
        long seed = o.seed() * 1_000_003L + round * 1009L + c;
        ClientUpdate u = trainer.train("client-" + c, global, data.get(c), local, seed);
        if (o.privacy().isPresent()) {
          o.privacy().get().clipInPlace(u.delta());
        }
        updates.add(u);
      }
      double trainLoss = 0;
      long samples = 0;
      for (int i = 0; i < updates.size(); i++) {
        if (!dropped[i]) {
          trainLoss += updates.get(i).trainLoss() * updates.get(i).samples();
          samples += updates.get(i).samples();
        }
      }
      trainLoss /= samples;
      double secAggSeconds = 0;
      long clientBytes;
      float[] mean;
      long plainBytes = 4L * global.length + 16;
      if (o.secureAggregation()) {
        long t0 = System.nanoTime();
        Secure s = secure(updates, dropped, round, global.length, noise, crypto);
        secAggSeconds = (System.nanoTime() - t0) / 1e9;
        mean = s.mean();
        clientBytes = s.bytesPerClient();
      } else {
        List<ClientUpdate> arrived = new ArrayList<>();
        for (int i = 0; i < updates.size(); i++) {
          if (!dropped[i]) {
            arrived.add(updates.get(i));
          }
        }
        mean =
            o.privacy().isPresent()
                ? noisyMean(arrived, o.privacy().get(), noise)
                : aggregator.combine(arrived);
        clientBytes = plainBytes;
      }
      global = aggregator.apply(global, mean);
      double eps = Double.NaN;
      if (o.privacy().isPresent() && o.privacy().get().noiseMultiplier() > 0) {
        accountant.step(q, o.privacy().get().noiseMultiplier(), 1);
        eps = accountant.epsilon(DELTA);
      }
      double[] eval = trainer.evaluate(global, test);
      onRound.accept(
          new RoundResult(
              round,
              chosen.length - drops,
              drops,
              trainLoss,
              eval[0],
              eval[1],
              eps,
              clientBytes,
              plainBytes,
              secAggSeconds,
              (System.nanoTime() - start) / 1e9));
    }
    return global;
  }

  private record Secure(float[] mean, long bytesPerClient) {}

  /**
   * Sums the round's updates under secure aggregation: each client masks its weighted update
   * (sample-weighted, or uniformly under DP with its share of the noise), those marked dropped
   * vanish after masking, and the survivors' sum is unmasked and divided by their total weight.
   */
  private Secure secure(
      List<ClientUpdate> updates,
      boolean[] dropped,
      int round,
      int length,
      Random noise,
      SecureRandom crypto) {
    SimulationOptions o = options;
    int m = updates.size();
    SecAggConfig config =
        new SecAggConfig(
            "simulation/round-" + round,
            SecAggConfig.thresholdFor(m, 0.3),
            o.clippingRange(),
            length);
    SecAggServer server = new SecAggServer(config);
    List<SecAggClient> clients = new ArrayList<>();
    long total = 0;
    for (ClientUpdate u : updates) {
      total += u.samples();
    }
    long[] bytes = new long[m];
    for (int i = 0; i < m; i++) {
      SecAggClient c = new SecAggClient(i + 1, config, crypto);
      clients.add(c);
      Messages.KeyAdvert a = c.advertise();
      bytes[i] += a.wireBytes();
      server.receive(a);
    }
    List<Messages.KeyAdvert> adverts = server.adverts();
    long advertBytes = adverts.stream().mapToLong(Messages.KeyAdvert::wireBytes).sum();
    for (int i = 0; i < m; i++) {
      List<Messages.EncryptedShare> sealed = clients.get(i).shareKeys(adverts);
      bytes[i] += advertBytes + sealed.stream().mapToLong(Messages.EncryptedShare::wireBytes).sum();
      server.receiveShares(i + 1, sealed);
    }
    double[] weights = new double[m];
    double survivingWeight = 0;
    for (int i = 0; i < m; i++) {
      ClientUpdate u = updates.get(i);
      weights[i] = o.privacy().isPresent() ? 1.0 / m : (double) u.samples() / total;
      float[] x = u.delta().clone();
      if (o.privacy().isPresent()) {
        ClientPrivacy.addNoise(x, o.privacy().get().shareStd(m), noise);
      }
      float r = (float) o.clippingRange();
      for (int j = 0; j < x.length; j++) {
        x[j] = (float) (weights[i] * Math.max(-r, Math.min(r, x[j])));
      }
      List<Messages.EncryptedShare> mine = server.sharesFor(i + 1);
      bytes[i] += mine.stream().mapToLong(Messages.EncryptedShare::wireBytes).sum();
      Messages.MaskedInput masked = clients.get(i).mask(mine, x);
      bytes[i] += masked.wireBytes();
      if (!dropped[i]) {
        server.receive(masked);
        survivingWeight += weights[i];
      }
    }
    Messages.UnmaskRequest request = server.unmaskRequest();
    long reported = 0;
    long sum = 0;
    for (int id : request.survivors()) {
      Messages.UnmaskResponse r = clients.get(id - 1).unmask(request);
      bytes[id - 1] += request.wireBytes() + r.wireBytes();
      server.receive(r);
      sum += bytes[id - 1];
      reported++;
    }
    float[] total2 = server.sum();
    for (int j = 0; j < total2.length; j++) {
      total2[j] = (float) (total2[j] / survivingWeight);
    }
    return new Secure(total2, sum / reported);
  }

  /** DP-FedAvg without secure aggregation: the mean of the clipped updates plus the sum's noise. */
  private static float[] noisyMean(List<ClientUpdate> updates, ClientPrivacy p, Random noise) {
    if (updates.isEmpty()) {
      throw StrataException.invalid("round: every client dropped (expected: at least one update)");
    }
    float[] sum = new float[updates.getFirst().delta().length];
    for (ClientUpdate u : updates) {
      for (int j = 0; j < sum.length; j++) {
        sum[j] += u.delta()[j];
      }
    }
    ClientPrivacy.addNoise(sum, p.sumStd(), noise);
    for (int j = 0; j < sum.length; j++) {
      sum[j] /= updates.size();
    }
    return sum;
  }

  /** {@code k} distinct indices out of {@code n}, in increasing order. */
  static int[] sample(int n, int k, Random rnd) {
    int[] all = new int[n];
    for (int i = 0; i < n; i++) {
      all[i] = i;
    }
    for (int i = 0; i < k; i++) {
      int j = i + rnd.nextInt(n - i);
      int t = all[i];
      all[i] = all[j];
      all[j] = t;
    }
    int[] out = Arrays.copyOf(all, k);
    Arrays.sort(out);
    return out;
  }
}
