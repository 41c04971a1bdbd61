package dev.strata.preprocess;

import dev.strata.core.StrataException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/** Seeded, optionally stratified train/validation/test splits of sample indices. */
public final class Splitter {
  private Splitter() {}

  /** Index lists of the three parts, each sorted ascending. */
  public record Parts(int[] train, int[] validation, int[] test) {}

  /**
   * Splits {@code labels.length} samples. Stratified: each class is shuffled and cut with the same
   * fractions, so every part keeps the class proportions (rounded per class).
   *
   * @param labels class indices, or any constant for an unstratified split
   */
  public static Parts split(int[] labels, Step.Split split) {
    Random rnd = new Random(split.seed());
    Map<Integer, List<Integer>> groups = new TreeMap<>();
    for (int i = 0; i < labels.length; i++) {
      groups.computeIfAbsent(split.stratified() ? labels[i] : 0, k -> new ArrayList<>()).add(i);
    }
    List<Integer> train = new ArrayList<>();
    List<Integer> val = new ArrayList<>();
    List<Integer> test = new ArrayList<>();
    for (List<Integer> g : groups.values()) {
      Collections.shuffle(g, rnd);
      int nVal = (int) Math.round(g.size() * split.validation());
      int nTest = (int) Math.round(g.size() * split.test());
      val.addAll(g.subList(0, nVal));
      test.addAll(g.subList(nVal, nVal + nTest));
      train.addAll(g.subList(nVal + nTest, g.size()));
    }
    if (train.isEmpty()) {
      throw StrataException.invalid(
          "split: no training samples left of %d (validation %s, test %s)",
          labels.length, split.validation(), split.test());
    }
    return new Parts(sorted(train), sorted(val), sorted(test));
  }

  private static int[] sorted(List<Integer> l) {
    return l.stream().mapToInt(Integer::intValue).sorted().toArray();
  }
}
