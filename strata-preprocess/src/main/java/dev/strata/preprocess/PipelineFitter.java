package dev.strata.preprocess;

import dev.strata.core.StrataException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Fits a {@link PipelineSpec} on training data: each step is fitted on the output of the steps
 * before it, so a scaler sees imputed values and a normaliser sees resized images.
 */
public final class PipelineFitter {
  private PipelineFitter() {}

  /** Fits an image pipeline: per-channel mean and std for a {@code normalize} without them. */
  public static FittedPipeline fitImages(PipelineSpec spec, List<RawImage> training) {
    if (!(spec.input() instanceof InputSpec.Image input)) {
      throw StrataException.invalid("preprocessing: input kind is tabular (expected: image)");
    }
    List<FittedStep> fitted = new ArrayList<>();
    for (Step s : spec.steps()) {
      switch (s) {
        case Step.Grayscale g -> fitted.add(new FittedStep.Grayscale());
        case Step.Resize r -> fitted.add(new FittedStep.Resize(r.height(), r.width()));
        case Step.Normalize n -> fitted.add(fitNormalize(n, input, fitted, training));
        default -> {} // augmentation and split do not run at serving time
      }
    }
    return new FittedPipeline(
        FittedPipeline.FORMAT_VERSION, input, fitted, spec.augmentation(), "input");
  }

  private static FittedStep.Normalize fitNormalize(
      Step.Normalize n, InputSpec.Image input, List<FittedStep> before, List<RawImage> images) {
    if (n.fitted()) {
      return new FittedStep.Normalize(toFloats(n.mean()), toFloats(n.std()));
    }
    if (images.isEmpty()) {
      throw StrataException.invalid("normalize: no training images to fit mean and std on");
    }
    double[] sum = null;
    double[] sumSq = null;
    long perChannel = 0;
    for (int i = 0; i < images.size(); i++) {
      ImageOps.Planar p = ImageOps.apply(images.get(i), input, before, "training image " + i);
      int hw = p.height() * p.width();
      if (sum == null) {
        sum = new double[p.channels()];
        sumSq = new double[p.channels()];
      }
      float[] d = p.data();
      for (int c = 0; c < p.channels(); c++) {
        double s = 0;
        double sq = 0;
        for (int k = c * hw; k < (c + 1) * hw; k++) {
          double v = d[k] / 255.0;
          s += v;
          sq += v * v;
        }
        sum[c] += s;
        sumSq[c] += sq;
      }
      perChannel += hw;
    }
    float[] mean = new float[sum.length];
    float[] std = new float[sum.length];
    for (int c = 0; c < sum.length; c++) {
      double m = sum[c] / perChannel;
      double var = Math.max(0, sumSq[c] / perChannel - m * m);
      mean[c] = (float) m;
      std[c] = (float) Math.max(Math.sqrt(var), 1e-6);
    }
    return new FittedStep.Normalize(mean, std);
  }

  /** A fitted tabular pipeline and the training rows it kept (after {@code drop_row} imputing). */
  public record TabularFit(FittedPipeline pipeline, int[] keptRows, float[][] features) {}

  /**
   * Fits a tabular pipeline on raw training rows (cells in input column order) and returns the
   * training features it produces.
   *
   * @param where names the rows in errors, e.g. the file name
   */
  public static TabularFit fitRows(PipelineSpec spec, List<List<String>> rows, String where) {
    if (!(spec.input() instanceof InputSpec.Tabular input)) {
      throw StrataException.invalid("preprocessing: input kind is image (expected: tabular)");
    }
    List<Object[]> data = new ArrayList<>(rows.size());
    List<Integer> kept = new ArrayList<>(rows.size());
    for (int r = 0; r < rows.size(); r++) {
      data.add(Cells.parse(input, rows.get(r), where + " row " + r));
      kept.add(r);
    }
    List<FittedStep> fitted = new ArrayList<>();
    for (Step s : spec.steps()) {
      List<FittedStep> now = fitColumnStep(s, input, data, fitted);
      for (FittedStep f : now) {
        int col = input.indexOf(TabularOps.columnOf(f));
        if (f instanceof FittedStep.RequirePresent) {
          for (int r = data.size() - 1; r >= 0; r--) {
            if (isMissing(data.get(r)[col])) {
              data.remove(r);
              kept.remove(r);
            }
          }
        } else {
          for (int r = 0; r < data.size(); r++) {
            TabularOps.applyStep(f, col, data.get(r), where + " row " + kept.get(r));
          }
        }
      }
      fitted.addAll(now);
    }
    FittedPipeline pipeline =
        new FittedPipeline(FittedPipeline.FORMAT_VERSION, input, fitted, List.of(), "input");
    TabularOps ops = new TabularOps(input, fitted);
    float[][] features = new float[data.size()][ops.width()];
    for (int r = 0; r < data.size(); r++) {
      ops.encode(data.get(r), features[r], 0, where + " row " + kept.get(r));
    }
    return new TabularFit(pipeline, kept.stream().mapToInt(Integer::intValue).toArray(), features);
  }

  private static List<FittedStep> fitColumnStep(
      Step s, InputSpec.Tabular input, List<Object[]> data, List<FittedStep> before) {
    List<FittedStep> out = new ArrayList<>();
    switch (s) {
      case Step.Impute imp -> {
        for (int c : columns(imp.columns(), input, null)) {
          String name = input.columns().get(c).name();
          boolean numeric = input.columns().get(c).kind() == InputSpec.ColumnKind.NUMERIC;
          out.add(
              switch (imp.strategy()) {
                case DROP_ROW -> new FittedStep.RequirePresent(name);
                case CONSTANT -> {
                  if (numeric) {
                    Cells.parseNumber(imp.value(), name, "impute.value");
                  }
                  yield new FittedStep.Fill(name, imp.value());
                }
                case MEAN ->
                    new FittedStep.Fill(name, Double.toString(mean(numbers(data, c, imp, name))));
                case MEDIAN ->
                    new FittedStep.Fill(
                        name, Double.toString(quantile(sorted(numbers(data, c, imp, name)), 0.5)));
                case MOST_FREQUENT -> new FittedStep.Fill(name, mostFrequent(data, c, name));
              });
        }
      }
      case Step.Clip clip -> {
        for (int c : columns(clip.columns(), input, InputSpec.ColumnKind.NUMERIC)) {
          String name = input.columns().get(c).name();
          double[] v = sorted(numbers(data, c, clip, name));
          out.add(
              new FittedStep.Clip(
                  name, quantile(v, clip.lowerQuantile()), quantile(v, clip.upperQuantile())));
        }
      }
      case Step.Scale sc -> {
        for (int c : columns(sc.columns(), input, InputSpec.ColumnKind.NUMERIC)) {
          String name = input.columns().get(c).name();
          double[] v = numbers(data, c, sc, name);
          if (sc.method() == Step.ScaleMethod.MIN_MAX) {
            double min = Arrays.stream(v).min().orElse(0);
            double max = Arrays.stream(v).max().orElse(1);
            out.add(new FittedStep.Affine(name, min, max > min ? max - min : 1));
          } else {
            double m = mean(v);
            double var = 0;
            for (double x : v) {
              var += (x - m) * (x - m);
            }
            double std = v.length > 0 ? Math.sqrt(var / v.length) : 0;
            out.add(new FittedStep.Affine(name, m, std > 0 ? std : 1));
          }
        }
      }
      case Step.OneHot oh -> {
        for (int c : encodable(oh.columns(), input, before)) {
          out.add(new FittedStep.OneHot(input.columns().get(c).name(), categories(data, c)));
        }
      }
      case Step.Ordinal ord -> {
        for (int c : encodable(ord.columns(), input, before)) {
          out.add(new FittedStep.Ordinal(input.columns().get(c).name(), categories(data, c)));
        }
      }
      default -> {} // split: handled by the trainer
    }
    return out;
  }

  private static List<Integer> columns(
      List<String> names, InputSpec.Tabular input, InputSpec.ColumnKind kind) {
    List<Integer> out = new ArrayList<>();
    if (names.isEmpty()) {
      for (int c = 0; c < input.columns().size(); c++) {
        if (kind == null || input.columns().get(c).kind() == kind) {
          out.add(c);
        }
      }
      return out;
    }
    for (String n : names) {
      int c = input.indexOf(n);
      if (kind != null && input.columns().get(c).kind() != kind) {
        throw StrataException.invalid(
            "column '%s' is %s (expected: %s)", n, input.columns().get(c).kind(), kind);
      }
      out.add(c);
    }
    return out;
  }

  private static List<Integer> encodable(
      List<String> names, InputSpec.Tabular input, List<FittedStep> before) {
    List<Integer> cols = columns(names, input, InputSpec.ColumnKind.CATEGORICAL);
    if (names.isEmpty()) {
      cols.removeIf(
          c ->
              before.stream()
                  .anyMatch(
                      f ->
                          (f instanceof FittedStep.OneHot || f instanceof FittedStep.Ordinal)
                              && TabularOps.columnOf(f).equals(input.columns().get(c).name())));
    }
    return cols;
  }

  private static double[] numbers(List<Object[]> data, int c, Step step, String name) {
    double[] v =
        data.stream().mapToDouble(r -> (Double) r[c]).filter(d -> !Double.isNaN(d)).toArray();
    if (v.length == 0) {
      throw StrataException.invalid(
          "%s: column '%s' has no values in the training data",
          step.getClass().getSimpleName().toLowerCase(), name);
    }
    return v;
  }

  private static boolean isMissing(Object cell) {
    return cell == null || cell instanceof Double d && d.isNaN();
  }

  private static float[] toFloats(List<Double> v) {
    float[] out = new float[v.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = v.get(i).floatValue();
    }
    return out;
  }

  private static double mean(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return s / v.length;
  }

  private static double[] sorted(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s;
  }

  /** Linear interpolation between the closest ranks (numpy's default). */
  static double quantile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
  }

  private static String mostFrequent(List<Object[]> data, int c, String name) {
    Map<String, Integer> counts = new TreeMap<>();
    for (Object[] r : data) {
      if (!isMissing(r[c])) {
        String key = r[c] instanceof Double d ? Double.toString(d) : (String) r[c];
        counts.merge(key, 1, Integer::sum);
      }
    }
    if (counts.isEmpty()) {
      throw StrataException.invalid("impute: column '%s' has no values in the training data", name);
    }
    // ties go to the smallest value, so the choice does not depend on row order
    return counts.entrySet().stream()
        .max(
            Map.Entry.<String, Integer>comparingByValue()
                .thenComparing(Map.Entry.<String, Integer>comparingByKey().reversed()))
        .orElseThrow()
        .getKey();
  }

  private static List<String> categories(List<Object[]> data, int c) {
    Map<String, Boolean> seen = new HashMap<>();
    for (Object[] r : data) {
      if (r[c] != null) {
        seen.put((String) r[c], true);
      }
    }
    return seen.keySet().stream().sorted().toList();
  }
}
