package dev.strata.train.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.strata.train.spec.TrainingOptions;

/** The training losses, as mean over the batch. */
public final class Losses {
  private Losses() {}

  /**
   * @param out logits {@code [N, C]} (classification) or predictions {@code [N, 1]}
   * @param y class indices {@code [N]} (int64) or targets {@code [N, 1]}
   */
  public static NDArray loss(TrainingOptions.Loss loss, NDArray out, NDArray y) {
    return switch (loss) {
      case TrainingOptions.Loss.SoftmaxCrossEntropy ce -> {
        long classes = out.getShape().get(1);
        NDArray logp = out.logSoftmax(1);
        // label smoothing as in PyTorch: (1 - e) * one-hot + e / C
        NDArray target =
            y.oneHot((int) classes)
                .toType(DataType.FLOAT32, false)
                .mul(1 - ce.labelSmoothing())
                .add(ce.labelSmoothing() / classes);
        yield logp.mul(target).sum(new int[] {1}).neg().mean();
      }
      case TrainingOptions.Loss.Mse m -> out.sub(y).square().mean();
      case TrainingOptions.Loss.L1 l -> out.sub(y).abs().mean();
    };
  }

  /**
   * The distillation loss: {@code alpha * loss(out, y) + (1 - alpha) * T^2 * KL(p_t || p_s)} with
   * {@code p = softmax(logits / T)}, the KL summed over classes and averaged over the batch.
   */
  static NDArray distillation(
      TrainingOptions.Loss hard, NDArray out, NDArray y, NDArray teacher, double t, double alpha) {
    NDArray logPs = out.div((float) t).logSoftmax(1);
    NDArray logPt = teacher.div((float) t).logSoftmax(1);
    NDArray kl = logPt.exp().mul(logPt.sub(logPs)).sum(new int[] {1}).mean();
    NDArray soft = kl.mul((float) (t * t * (1 - alpha)));
    return alpha == 0 ? soft : loss(hard, out, y).mul((float) alpha).add(soft);
  }
}
