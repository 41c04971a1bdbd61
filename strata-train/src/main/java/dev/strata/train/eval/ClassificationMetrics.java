package dev.strata.train.eval;

import dev.strata.core.StrataException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Classification metrics from true labels and predicted class scores.
 *
 * @param confusion {@code confusion[t][p]}: samples of true class t predicted as p
 * @param topK accuracy when the true class is among the k best scores, for k = 1..min(5, classes)
 * @param rocAuc ROC-AUC of the positive class (index 1), for two-class tasks only
 */
public record ClassificationMetrics(
    int samples,
    double accuracy,
    List<String> classes,
    List<PerClass> perClass,
    Average macro,
    Average weighted,
    long[][] confusion,
    List<Double> topK,
    Optional<Double> rocAuc) {

  /** Precision, recall and F1 of one class; {@code support} is its number of true samples. */
  public record PerClass(String name, double precision, double recall, double f1, long support) {}

  public record Average(double precision, double recall, double f1) {}

  /**
   * Computes the metrics.
   *
   * @param scores {@code scores[i][c]}, any monotone score per class (probabilities or logits)
   */
  public static ClassificationMetrics compute(
      int[] labels, float[][] scores, List<String> classes) {
    int n = labels.length;
    int k = classes.size();
    if (scores.length != n) {
      throw StrataException.invalid("metrics: %d labels, %d predictions", n, scores.length);
    }
    if (n == 0) {
      throw StrataException.invalid("metrics: no samples");
    }
    long[][] cm = new long[k][k];
    int[] pred = new int[n];
    for (int i = 0; i < n; i++) {
      pred[i] = argMax(scores[i]);
      cm[labels[i]][pred[i]]++;
    }
    long correct = 0;
    for (int c = 0; c < k; c++) {
      correct += cm[c][c];
    }
    List<PerClass> per = new ArrayList<>();
    double mp = 0, mr = 0, mf = 0, wp = 0, wr = 0, wf = 0;
    for (int c = 0; c < k; c++) {
      long tp = cm[c][c];
      long predicted = 0;
      long support = 0;
      for (int o = 0; o < k; o++) {
        predicted += cm[o][c];
        support += cm[c][o];
      }
      double p = predicted == 0 ? 0 : (double) tp / predicted;
      double r = support == 0 ? 0 : (double) tp / support;
      double f = p + r == 0 ? 0 : 2 * p * r / (p + r);
      per.add(new PerClass(classes.get(c), p, r, f, support));
      mp += p / k;
      mr += r / k;
      mf += f / k;
      wp += p * support / n;
      wr += r * support / n;
      wf += f * support / n;
    }
    List<Double> topK = new ArrayList<>();
    for (int kk = 1; kk <= Math.min(5, k); kk++) {
      topK.add(topK(labels, scores, kk));
    }
    Optional<Double> auc = k == 2 ? Optional.of(rocAuc(labels, scores)) : Optional.empty();
    return new ClassificationMetrics(
        n,
        (double) correct / n,
        classes,
        per,
        new Average(mp, mr, mf),
        new Average(wp, wr, wf),
        cm,
        topK,
        auc);
  }

  static int argMax(float[] s) {
    int best = 0;
    for (int j = 1; j < s.length; j++) {
      if (s[j] > s[best]) {
        best = j;
      }
    }
    return best;
  }

  /** The share of samples whose true class has one of the k highest scores. */
  public static double topK(int[] labels, float[][] scores, int k) {
    long hit = 0;
    for (int i = 0; i < labels.length; i++) {
      float own = scores[i][labels[i]];
      int better = 0;
      for (int j = 0; j < scores[i].length; j++) {
        // ties count against the true class, so a constant predictor gets no free credit
        if (j != labels[i] && scores[i][j] >= own) {
          better++;
        }
      }
      if (better < k) {
        hit++;
      }
    }
    return (double) hit / labels.length;
  }

  /**
   * ROC-AUC of class 1 from its score minus class 0's (the Mann-Whitney statistic; ties count
   * half).
   */
  public static double rocAuc(int[] labels, float[][] scores) {
    int nPos = 0;
    int nNeg = 0;
    double[][] s = new double[labels.length][2];
    for (int i = 0; i < labels.length; i++) {
      s[i][0] = scores[i][1] - (double) scores[i][0];
      s[i][1] = labels[i];
      if (labels[i] == 1) {
        nPos++;
      } else {
        nNeg++;
      }
    }
    if (nPos == 0 || nNeg == 0) {
      return Double.NaN;
    }
    java.util.Arrays.sort(s, java.util.Comparator.comparingDouble(a -> a[0]));
    double rankSumPos = 0;
    int i = 0;
    while (i < s.length) {
      int j = i;
      while (j + 1 < s.length && s[j + 1][0] == s[i][0]) {
        j++;
      }
      double rank = (i + j) / 2.0 + 1;
      for (int t = i; t <= j; t++) {
        if (s[t][1] == 1) {
          rankSumPos += rank;
        }
      }
      i = j + 1;
    }
    return (rankSumPos - nPos * (nPos + 1) / 2.0) / ((double) nPos * nNeg);
  }
}
