package dev.strata.distributed.ps;

import static java.util.Objects.requireNonNull;

import dev.strata.train.spec.TrainingOptions;

/**
 * The spec's optimizer over one flat weight vector, as a parameter server applies it (PyTorch's
 * update rules: SGD with momentum and L2 weight decay, Adam with L2 decay, AdamW with decoupled
 * decay, with the bias correction of the workers' own updater). The learning rate comes with each
 * gradient, from the workers' schedule.
 */
final class FlatOptimizer {
  private final TrainingOptions.Optimizer spec;
  private final float[] first;
  private final float[] second;
  private long steps;

  FlatOptimizer(TrainingOptions.Optimizer spec, int size) {
    this.spec = requireNonNull(spec, "spec");
    this.first = new float[size];
    this.second = spec instanceof TrainingOptions.Optimizer.Sgd ? new float[0] : new float[size];
  }

  private FlatOptimizer(FlatOptimizer o) {
    this.spec = o.spec;
    this.first = o.first.clone();
    this.second = o.second.clone();
    this.steps = o.steps;
  }

  /** An independent copy of this optimizer's state (moments and step count). */
  FlatOptimizer copy() {
    return new FlatOptimizer(this);
  }

  /** The size of the weight vector it updates. */
  int size() {
    return first.length;
  }

  long steps() {
    return steps;
  }

  /** Applies one update of {@code w} from {@code grad} at rate {@code lr}. */
  void step(float[] w, float[] grad, int gradOffset, float lr) {
    steps++;
    float wd = (float) spec.weightDecay();
    switch (spec) {
      case TrainingOptions.Optimizer.Sgd s -> {
        float mu = (float) s.momentum();
        for (int i = 0; i < w.length; i++) {
          float g = grad[gradOffset + i] + wd * w[i];
          if (mu != 0) {
            first[i] = mu * first[i] + g;
            g = first[i];
          }
          w[i] -= lr * g;
        }
      }
      case TrainingOptions.Optimizer.Adam a ->
          adam(w, grad, gradOffset, lr, wd, a.beta1(), a.beta2(), a.epsilon(), false);
      case TrainingOptions.Optimizer.AdamW a ->
          adam(w, grad, gradOffset, lr, wd, a.beta1(), a.beta2(), a.epsilon(), true);
    }
  }

  private void adam(
      float[] w,
      float[] grad,
      int off,
      float lr,
      float wd,
      double beta1,
      double beta2,
      double eps,
      boolean decoupled) {
    float b1 = (float) beta1;
    float b2 = (float) beta2;
    // the workers' Updater: the bias corrections folded into the rate, epsilon added to the raw
    // second moment's root (as the fused kernel it calls does)
    float corrected =
        (float) (lr * Math.sqrt(1 - Math.pow(beta2, steps)) / (1 - Math.pow(beta1, steps)));
    float e = (float) eps;
    for (int i = 0; i < w.length; i++) {
      float g = grad[off + i];
      if (decoupled) {
        w[i] -= lr * wd * w[i];
      } else {
        g += wd * w[i];
      }
      first[i] = b1 * first[i] + (1 - b1) * g;
      second[i] = b2 * second[i] + (1 - b2) * g * g;
      w[i] -= corrected * first[i] / ((float) Math.sqrt(second[i]) + e);
    }
  }
}
