package dev.strata.federated.sim;

import dev.strata.core.StrataException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.PermutationSampler;
import org.apache.commons.rng.sampling.distribution.DirichletSampler;
import org.apache.commons.rng.simple.RandomSource;

/**
 * How the simulator deals a data set out to its clients: {@code iid} (shuffled, equal parts) or
 * {@code dirichlet:α} — for every class, the shares of its samples per client drawn from a
 * symmetric Dirichlet(α) (Hsu et al. 2019; small α: each client sees few classes), redrawn until
 * every client has at least {@link #MIN_SAMPLES} samples, as the common benchmarks do.
 */
public record Partition(String kind, double alpha) {
  public static final int MIN_SAMPLES = 10;

  public Partition {
    if (kind.equals("dirichlet") && !(alpha > 0 && Double.isFinite(alpha))) {
      throw StrataException.invalid("partition dirichlet:%s (expected: alpha > 0)", alpha);
    }
  }

  /** Parses {@code iid} or {@code dirichlet:ALPHA}. */
  public static Partition parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.equals("iid")) {
      return new Partition("iid", Double.NaN);
    }
    if (t.startsWith("dirichlet:")) {
      try {
        return new Partition("dirichlet", Double.parseDouble(t.substring("dirichlet:".length())));
      } catch (NumberFormatException e) {
        // falls through to the error below
      }
    }
    throw StrataException.invalid(
        "partition: '%s' (expected: iid or dirichlet:ALPHA, e.g. dirichlet:0.5)", text);
  }

  @Override
  public String toString() {
    return kind.equals("iid") ? "iid" : "dirichlet:" + alpha;
  }

  /** Sample indices per client for these labels. */
  public int[][] split(int[] labels, int classes, int clients, long seed) {
    if (clients <= 0 || (long) clients * MIN_SAMPLES > labels.length) {
      throw StrataException.invalid(
          "clients: %d for %d samples (expected: 1..%d, at least %d samples each)",
          clients, labels.length, labels.length / MIN_SAMPLES, MIN_SAMPLES);
    }
    UniformRandomProvider rng = RandomSource.XO_RO_SHI_RO_128_PP.create(seed);
    if (kind.equals("iid")) {
      int[] order = shuffled(labels.length, rng);
      int[][] out = new int[clients][];
      for (int c = 0; c < clients; c++) {
        int from = (int) ((long) labels.length * c / clients);
        int to = (int) ((long) labels.length * (c + 1) / clients);
        out[c] = java.util.Arrays.copyOfRange(order, from, to);
      }
      return out;
    }
    List<List<Integer>> byClass = new ArrayList<>();
    for (int k = 0; k < classes; k++) {
      byClass.add(new ArrayList<>());
    }
    for (int i = 0; i < labels.length; i++) {
      byClass.get(labels[i]).add(i);
    }
    DirichletSampler dir = DirichletSampler.symmetric(rng, clients, alpha);
    for (int attempt = 0; attempt < 1000; attempt++) {
      List<List<Integer>> parts = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        parts.add(new ArrayList<>());
      }
      for (List<Integer> members : byClass) {
        int[] order = shuffled(members.size(), rng);
        double[] p = dir.sample();
        double cum = 0;
        int from = 0;
        for (int c = 0; c < clients; c++) {
          cum += p[c];
          int to = c == clients - 1 ? members.size() : (int) Math.round(cum * members.size());
          for (int i = from; i < Math.max(from, to); i++) {
            parts.get(c).add(members.get(order[i]));
          }
          from = Math.max(from, to);
        }
      }
      if (parts.stream().allMatch(l -> l.size() >= MIN_SAMPLES)) {
        int[][] out = new int[clients][];
        for (int c = 0; c < clients; c++) {
          out[c] = parts.get(c).stream().mapToInt(Integer::intValue).toArray();
        }
        return out;
      }
    }
    throw StrataException.invalid(
        "partition %s: could not give each of %d clients %d samples in 1000 draws (expected: a larger alpha or fewer clients)",
        this, clients, MIN_SAMPLES);
  }

  private static int[] shuffled(int n, UniformRandomProvider rng) {
    int[] a = PermutationSampler.natural(n);
    PermutationSampler.shuffle(rng, a);
    return a;
  }
}
