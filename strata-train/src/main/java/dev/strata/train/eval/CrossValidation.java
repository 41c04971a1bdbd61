package dev.strata.train.eval;

import dev.strata.core.StrataException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/** Stratified, seeded k-fold cross-validation over sample indices. */
public final class CrossValidation {
  private CrossValidation() {}

  /** Scores one fold: trains on {@code train} indices, returns the metric on {@code test}. */
  @FunctionalInterface
  public interface Fold {
    double score(int[] train, int[] test) throws Exception;
  }

  /** The per-fold scores of a metric, their mean and (sample) standard deviation. */
  public record Result(String metric, int folds, List<Double> scores, double mean, double std) {
    public Result {
      scores = List.copyOf(scores);
    }
  }

  /** The k folds' test indices: each class dealt round-robin after a seeded shuffle. */
  public static List<int[]> folds(int[] strata, int k, long seed) {
    if (k < 2 || k > strata.length) {
      throw StrataException.invalid(
          "folds: %d (expected: 2..%d, the number of samples)", k, strata.length);
    }
    Random rnd = new Random(seed);
    Map<Integer, List<Integer>> groups = new TreeMap<>();
    for (int i = 0; i < strata.length; i++) {
      groups.computeIfAbsent(strata[i], s -> new ArrayList<>()).add(i);
    }
    List<List<Integer>> folds = new ArrayList<>();
    for (int f = 0; f < k; f++) {
      folds.add(new ArrayList<>());
    }
    int next = 0;
    for (List<Integer> g : groups.values()) {
      Collections.shuffle(g, rnd);
      for (int i : g) {
        folds.get(next++ % k).add(i);
      }
    }
    List<int[]> out = new ArrayList<>();
    for (List<Integer> f : folds) {
      out.add(f.stream().mapToInt(Integer::intValue).sorted().toArray());
    }
    return out;
  }

  public static Result run(String metric, int[] strata, int k, long seed, Fold fold)
      throws Exception {
    List<int[]> tests = folds(strata, k, seed);
    List<Double> scores = new ArrayList<>();
    for (int[] test : tests) {
      boolean[] inTest = new boolean[strata.length];
      for (int i : test) {
        inTest[i] = true;
      }
      int[] train = new int[strata.length - test.length];
      int t = 0;
      for (int i = 0; i < strata.length; i++) {
        if (!inTest[i]) {
          train[t++] = i;
        }
      }
      scores.add(fold.score(train, test));
    }
    double mean = scores.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    double var = 0;
    for (double s : scores) {
      var += (s - mean) * (s - mean);
    }
    double std = scores.size() > 1 ? Math.sqrt(var / (scores.size() - 1)) : 0;
    return new Result(metric, k, scores, mean, std);
  }
}
