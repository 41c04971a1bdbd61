package dev.strata.compress.quantize;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.strata.compress.graph.Graph;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The ranges of a model's activations on calibration samples, found as ONNX Runtime runs the model
 * with those tensors as extra outputs. {@link Method#MINMAX} takes what was seen; {@link
 * Method#PERCENTILE} cuts the tails at a percentile; {@link Method#ENTROPY} chooses the clipping
 * threshold whose int8 histogram is closest (Kullback–Leibler) to the float one, as TensorRT's
 * entropy calibrator does.
 */
public final class Calibration {
  private static final int BINS = 2048;
  private static final int BATCH = 64;

  /** How a tensor's range is chosen from what calibration saw. */
  public enum Method {
    MINMAX,
    PERCENTILE,
    ENTROPY;

    public static Method parse(String s) {
      try {
        return valueOf(s.strip().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw StrataException.invalid(
            "calibration method '%s' (expected: minmax, percentile or entropy)", s);
      }
    }
  }

  /** A tensor's range, always containing 0 so that 0 is exact. */
  public record Range(float min, float max) {}

  /** Calibration samples: {@code count} samples of {@code sampleShape}, contiguous. */
  public record Samples(String input, float[] data, long[] sampleShape, int count) {}

  private static final class Stats {
    float min = Float.POSITIVE_INFINITY;
    float max = Float.NEGATIVE_INFINITY;
    final long[] signed = new long[BINS];
    final long[] abs = new long[BINS];
    long n;
  }

  private Calibration() {}

  /**
   * The ranges of these tensors.
   *
   * @param percentile the percentile kept by {@link Method#PERCENTILE} (e.g. 99.999)
   */
  public static Map<String, Range> ranges(
      ModelProto model, List<String> tensors, Samples samples, Method method, double percentile) {
    Map<String, Stats> stats = new LinkedHashMap<>();
    tensors.forEach(t -> stats.put(t, new Stats()));
    ModelProto observed = Graph.withOutputs(model, tensors);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      // the float graph as written: fusions must not hide the tensors being observed
      opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
      try (OrtSession session = env.createSession(observed.toByteArray(), opts)) {
        run(env, session, samples, stats, false);
        if (method != Method.MINMAX) {
          run(env, session, samples, stats, true);
        }
      }
    } catch (OrtException e) {
      throw new StrataException(
          ErrorCode.INTERNAL, "calibration: ONNX Runtime failed: " + e.getMessage(), e);
    }
    Map<String, Range> out = new LinkedHashMap<>();
    stats.forEach(
        (t, s) -> {
          if (s.n == 0 && method != Method.MINMAX || s.min > s.max) {
            throw StrataException.invalid("calibration: tensor '%s' produced no values", t);
          }
          out.put(t, range(s, method, percentile));
        });
    return out;
  }

  private static void run(
      OrtEnvironment env,
      OrtSession session,
      Samples samples,
      Map<String, Stats> stats,
      boolean histograms)
      throws OrtException {
    int per = samples.data().length / samples.count();
    for (int from = 0; from < samples.count(); from += BATCH) {
      int b = Math.min(BATCH, samples.count() - from);
      long[] shape = new long[samples.sampleShape().length + 1];
      shape[0] = b;
      System.arraycopy(samples.sampleShape(), 0, shape, 1, samples.sampleShape().length);
      try (OnnxTensor x =
              OnnxTensor.createTensor(
                  env, FloatBuffer.wrap(samples.data(), from * per, b * per), shape);
          OrtSession.Result r = session.run(Map.of(samples.input(), x), stats.keySet())) {
        for (Map.Entry<String, OnnxValue> e : r) {
          FloatBuffer v = ((OnnxTensor) e.getValue()).getFloatBuffer();
          Stats s = stats.get(e.getKey());
          if (histograms) {
            histogram(v, s);
          } else {
            while (v.hasRemaining()) {
              float f = v.get();
              s.min = Math.min(s.min, f);
              s.max = Math.max(s.max, f);
            }
          }
        }
      }
    }
  }

  private static void histogram(FloatBuffer v, Stats s) {
    double width = (s.max - s.min) / BINS;
    double absMax = Math.max(Math.abs(s.min), Math.abs(s.max));
    while (v.hasRemaining()) {
      float f = v.get();
      s.signed[bin(f - s.min, width)]++;
      s.abs[bin(Math.abs(f), absMax / BINS)]++;
      s.n++;
    }
  }

  private static int bin(double x, double width) {
    return width <= 0 ? 0 : (int) Math.min(BINS - 1, Math.max(0, x / width));
  }

  static Range range(Stats s, Method method, double percentile) {
    float lo = s.min;
    float hi = s.max;
    switch (method) {
      case MINMAX -> {}
      case PERCENTILE -> {
        double width = (s.max - s.min) / (double) BINS;
        long cut = (long) Math.floor(s.n * (1 - percentile / 100.0));
        long seen = 0;
        int i = 0;
        while (i < BINS - 1 && seen + s.signed[i] <= cut) {
          seen += s.signed[i++];
        }
        lo = (float) (s.min + i * width);
        seen = 0;
        int j = BINS - 1;
        while (j > 0 && seen + s.signed[j] <= cut) {
          seen += s.signed[j--];
        }
        hi = (float) (s.min + (j + 1) * width);
      }
      case ENTROPY -> {
        double absMax = Math.max(Math.abs(s.min), Math.abs(s.max));
        // non-negative tensors (after ReLU) use all 256 uint8 levels; signed ones 128 each side
        int levels = s.min >= 0 ? 256 : 128;
        long[] hist = s.abs.clone();
        // the exact zeros of a ReLU would dominate the divergence and pull the threshold far
        // below what the rest of the distribution needs: they are weighed as their neighbours
        hist[0] = Math.min(hist[0], hist[1]);
        double t = (threshold(hist, levels) + 0.5) * absMax / BINS;
        lo = (float) Math.max(s.min, -t);
        hi = (float) Math.min(s.max, t);
      }
    }
    return new Range(Math.min(lo, 0f), Math.max(hi, 0f));
  }

  /** The histogram bin (exclusive end) whose clipping loses the least information (KL). */
  static int threshold(long[] hist, int levels) {
    int best = BINS;
    double bestKl = Double.POSITIVE_INFINITY;
    for (int i = levels; i <= BINS; i++) {
      double[] p = new double[i];
      for (int k = 0; k < i; k++) {
        p[k] = hist[k];
      }
      for (int k = i; k < BINS; k++) {
        p[i - 1] += hist[k]; // outliers clipped into the last kept bin
      }
      // Q: the kept bins merged into `levels` levels, each spread back over its non-empty bins
      double[] q = new double[i];
      for (int l = 0; l < levels; l++) {
        int start = (int) ((long) l * i / levels);
        int end = (int) ((long) (l + 1) * i / levels);
        double sum = 0;
        int nonEmpty = 0;
        for (int k = start; k < end; k++) {
          sum += hist[k];
          if (hist[k] != 0) {
            nonEmpty++;
          }
        }
        for (int k = start; k < end; k++) {
          q[k] = hist[k] == 0 || nonEmpty == 0 ? 0 : sum / nonEmpty;
        }
      }
      double kl = kl(p, q);
      if (kl < bestKl) {
        bestKl = kl;
        best = i;
      }
    }
    return best - 1;
  }

  private static double kl(double[] p, double[] q) {
    double ps = 0;
    double qs = 0;
    for (int k = 0; k < p.length; k++) {
      ps += p[k];
      qs += q[k];
    }
    if (ps == 0 || qs == 0) {
      return Double.POSITIVE_INFINITY;
    }
    double kl = 0;
    for (int k = 0; k < p.length; k++) {
      if (p[k] == 0) {
        continue;
      }
      double pk = p[k] / ps;
      double qk = q[k] / qs;
      kl += qk == 0 ? pk * 20 : pk * Math.log(pk / qk); // a bin Q lost entirely costs a lot
    }
    return kl;
  }
}
