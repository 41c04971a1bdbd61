package dev.strata.train.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.strata.core.StrataException;
import dev.strata.train.spec.TrainingOptions;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies optimizer steps with PyTorch's fused update kernels (through DJL's {@code NDArrayEx}),
 * but keeps the optimizer state (momentum, Adam moments, step count) here, where a checkpoint can
 * save and restore it. DJL's own optimizers hide that state, which would make an exact resume
 * impossible.
 */
public final class Updater implements AutoCloseable {
  private static final float NO_CLIP = -1f;

  private final TrainingOptions.Optimizer spec;
  private final List<Pair<String, Parameter>> params = new ArrayList<>();
  private final List<NDArray> first = new ArrayList<>();
  private final List<NDArray> second = new ArrayList<>();
  private final NDManager manager;
  private long steps;

  public Updater(
      TrainingOptions.Optimizer spec, List<Pair<String, Parameter>> all, NDManager parent) {
    this.spec = spec;
    this.manager = parent.newSubManager();
    for (Pair<String, Parameter> p : all) {
      if (p.getValue().requiresGradient()) {
        params.add(p);
        NDArray w = p.getValue().getArray();
        first.add(manager.zeros(w.getShape(), w.getDataType()));
        second.add(
            spec instanceof TrainingOptions.Optimizer.Sgd
                ? manager.zeros(new ai.djl.ndarray.types.Shape(1))
                : manager.zeros(w.getShape(), w.getDataType()));
      }
    }
  }

  public long steps() {
    return steps;
  }

  /** Counts a step whose update was applied elsewhere (by a parameter server). */
  public void countStep() {
    steps++;
  }

  /** One update of every trainable parameter from its gradient, which is then zeroed. */
  public void step(float lr) {
    steps++;
    float wd = (float) spec.weightDecay();
    for (int i = 0; i < params.size(); i++) {
      NDArray w = params.get(i).getValue().getArray();
      try (NDArray grad = w.getGradient()) {
        switch (spec) {
          case TrainingOptions.Optimizer.Sgd s ->
              w.getNDArrayInternal()
                  .sgdUpdate(
                      s.momentum() == 0 ? new NDList(w, grad) : new NDList(w, grad, first.get(i)),
                      new NDList(w),
                      lr,
                      wd,
                      1f,
                      NO_CLIP,
                      (float) s.momentum(),
                      true);
          case TrainingOptions.Optimizer.Adam a ->
              adam(w, grad, i, lr, wd, a.beta1(), a.beta2(), a.epsilon(), false);
          case TrainingOptions.Optimizer.AdamW a ->
              adam(w, grad, i, lr, wd, a.beta1(), a.beta2(), a.epsilon(), true);
        }
      }
    }
  }

  private void adam(
      NDArray w,
      NDArray grad,
      int i,
      float lr,
      float wd,
      double beta1,
      double beta2,
      double eps,
      boolean decoupled) {
    double c1 = 1 - Math.pow(beta1, steps);
    double c2 = 1 - Math.pow(beta2, steps);
    float corrected = (float) (lr * Math.sqrt(c2) / c1);
    w.getNDArrayInternal()
        .adamUpdate(
            new NDList(w, grad, first.get(i), second.get(i)),
            new NDList(w),
            lr,
            corrected,
            wd,
            1f,
            NO_CLIP,
            (float) beta1,
            (float) beta2,
            (float) eps,
            true,
            decoupled);
  }

  /** The state as bytes: step count, then the moment arrays in parameter order. */
  byte[] saveState() {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeLong(steps);
      out.writeInt(params.size());
      for (int i = 0; i < params.size(); i++) {
        out.writeUTF(params.get(i).getKey());
        writeArray(out, first.get(i));
        writeArray(out, second.get(i));
      }
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void loadState(byte[] state, String what) {
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(state));
      long s = in.readLong();
      int n = in.readInt();
      if (n != params.size()) {
        throw StrataException.invalid(
            "%s: optimizer state for %d parameters (expected: %d)", what, n, params.size());
      }
      for (int i = 0; i < n; i++) {
        String key = in.readUTF();
        if (!key.equals(params.get(i).getKey())) {
          throw StrataException.invalid(
              "%s: optimizer state for '%s' where '%s' was expected",
              what, key, params.get(i).getKey());
        }
        readArray(in, first.get(i), what);
        readArray(in, second.get(i), what);
      }
      steps = s;
    } catch (IOException e) {
      throw StrataException.invalid("%s: corrupt optimizer state (%s)", what, e.getMessage());
    }
  }

  private static void writeArray(DataOutputStream out, NDArray a) throws IOException {
    float[] v = a.toFloatArray();
    out.writeInt(v.length);
    for (float f : v) {
      out.writeFloat(f);
    }
  }

  private static void readArray(DataInputStream in, NDArray target, String what)
      throws IOException {
    int n = in.readInt();
    if (n != target.size()) {
      throw StrataException.invalid(
          "%s: optimizer state of %d values (expected: %d)", what, n, target.size());
    }
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = in.readFloat();
    }
    target.set(java.nio.FloatBuffer.wrap(v));
  }

  @Override
  public void close() {
    manager.close();
  }
}
