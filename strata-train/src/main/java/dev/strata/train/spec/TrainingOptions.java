package dev.strata.train.spec;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.strata.core.StrataException;

/**
 * How to train: epochs, batch size, seed, loss, optimizer, learning-rate schedule, early stopping.
 */
public record TrainingOptions(
    int epochs,
    int batchSize,
    long seed,
    Loss loss,
    Optimizer optimizer,
    Schedule schedule,
    EarlyStopping earlyStopping) {

  public TrainingOptions {
    if (epochs <= 0) {
      throw StrataException.invalid("training.epochs: %d (expected: > 0)", epochs);
    }
    batchSize = batchSize == 0 ? 64 : batchSize;
    if (batchSize <= 0) {
      throw StrataException.invalid("training.batch_size: %d (expected: > 0)", batchSize);
    }
    if (optimizer == null) {
      throw StrataException.invalid("training.optimizer: missing (expected: sgd, adam or adamw)");
    }
    schedule = schedule == null ? new Schedule.Constant(0) : schedule;
    earlyStopping = earlyStopping == null ? EarlyStopping.NONE : earlyStopping;
  }

  /** A copy with another epoch count (e.g. a quick run of a reference spec). */
  public TrainingOptions withEpochs(int n) {
    return new TrainingOptions(n, batchSize, seed, loss, optimizer, schedule, earlyStopping);
  }

  /**
   * The options of fine-tuning trained weights: {@code epochs} at a base rate of {@code
   * learningRate} decaying by a cosine to a hundredth of it, no warm-up (the weights are already
   * trained) and no early stopping (every epoch's weights are the ones a pruning schedule shaped;
   * restoring an earlier one would undo it). Loss, batch size, seed and the optimizer's kind and
   * weight decay are kept.
   */
  public TrainingOptions withFineTuning(int epochs, double learningRate) {
    Optimizer o =
        switch (optimizer) {
          case Optimizer.Sgd s -> new Optimizer.Sgd(learningRate, s.momentum(), s.weightDecay());
          case Optimizer.Adam a ->
              new Optimizer.Adam(learningRate, a.beta1(), a.beta2(), a.epsilon(), a.weightDecay());
          case Optimizer.AdamW a ->
              new Optimizer.AdamW(learningRate, a.beta1(), a.beta2(), a.epsilon(), a.weightDecay());
        };
    return new TrainingOptions(
        epochs,
        batchSize,
        seed,
        loss,
        o,
        new Schedule.Cosine(learningRate / 100, 0),
        EarlyStopping.NONE);
  }

  /** Training losses. A missing loss is chosen from the task (cross-entropy or MSE). */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({
    @JsonSubTypes.Type(Loss.SoftmaxCrossEntropy.class),
    @JsonSubTypes.Type(Loss.Mse.class),
    @JsonSubTypes.Type(Loss.L1.class)
  })
  public sealed interface Loss {
    /** Cross-entropy of the softmax of the logits, with optional label smoothing. */
    @JsonTypeName("softmax_cross_entropy")
    record SoftmaxCrossEntropy(double labelSmoothing) implements Loss {
      public SoftmaxCrossEntropy {
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
          throw StrataException.invalid(
              "loss.label_smoothing: %s (expected: 0 <= x < 1)", labelSmoothing);
        }
      }
    }

    @JsonTypeName("mse")
    record Mse() implements Loss {}

    @JsonTypeName("l1")
    record L1() implements Loss {}
  }

  /** Optimizers; {@code weight_decay} is L2 for SGD and Adam, decoupled for AdamW. */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({
    @JsonSubTypes.Type(Optimizer.Sgd.class),
    @JsonSubTypes.Type(Optimizer.Adam.class),
    @JsonSubTypes.Type(Optimizer.AdamW.class)
  })
  public sealed interface Optimizer {
    double learningRate();

    double weightDecay();

    @JsonTypeName("sgd")
    record Sgd(double learningRate, double momentum, double weightDecay) implements Optimizer {
      public Sgd {
        check(learningRate, weightDecay);
        if (!(momentum >= 0 && momentum < 1)) {
          throw StrataException.invalid("optimizer.momentum: %s (expected: 0..1)", momentum);
        }
      }
    }

    @JsonTypeName("adam")
    record Adam(double learningRate, double beta1, double beta2, double epsilon, double weightDecay)
        implements Optimizer {
      public Adam {
        check(learningRate, weightDecay);
        beta1 = beta1 == 0 ? 0.9 : beta1;
        beta2 = beta2 == 0 ? 0.999 : beta2;
        epsilon = epsilon == 0 ? 1e-8 : epsilon;
      }
    }

    @JsonTypeName("adamw")
    record AdamW(
        double learningRate, double beta1, double beta2, double epsilon, double weightDecay)
        implements Optimizer {
      public AdamW {
        check(learningRate, weightDecay);
        beta1 = beta1 == 0 ? 0.9 : beta1;
        beta2 = beta2 == 0 ? 0.999 : beta2;
        epsilon = epsilon == 0 ? 1e-8 : epsilon;
      }
    }

    private static void check(double lr, double wd) {
      if (!(lr > 0)) {
        throw StrataException.invalid("optimizer.learning_rate: %s (expected: > 0)", lr);
      }
      if (!(wd >= 0)) {
        throw StrataException.invalid("optimizer.weight_decay: %s (expected: >= 0)", wd);
      }
    }
  }

  /**
   * Learning-rate schedules, each with an optional linear warm-up over the first {@code
   * warmup_epochs} (per step, from lr/steps up to lr).
   */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({
    @JsonSubTypes.Type(Schedule.Constant.class),
    @JsonSubTypes.Type(Schedule.StepDecay.class),
    @JsonSubTypes.Type(Schedule.Cosine.class)
  })
  public sealed interface Schedule {
    int warmupEpochs();

    @JsonTypeName("constant")
    record Constant(int warmupEpochs) implements Schedule {}

    /** Multiplies the rate by {@code gamma} every {@code step_epochs} epochs. */
    @JsonTypeName("step")
    record StepDecay(int stepEpochs, double gamma, int warmupEpochs) implements Schedule {
      public StepDecay {
        if (stepEpochs <= 0 || !(gamma > 0 && gamma <= 1)) {
          throw StrataException.invalid(
              "schedule step: step_epochs %d, gamma %s (expected: > 0, 0 < gamma <= 1)",
              stepEpochs, gamma);
        }
      }
    }

    /** Cosine decay from the base rate to {@code min_learning_rate} at the last step. */
    @JsonTypeName("cosine")
    record Cosine(double minLearningRate, int warmupEpochs) implements Schedule {}
  }

  /**
   * Stops when the validation metric ({@code accuracy} or {@code loss}) has not improved by {@code
   * min_delta} for {@code patience} epochs; the best epoch's weights are kept.
   */
  public record EarlyStopping(String metric, int patience, double minDelta) {
    public static final EarlyStopping NONE = new EarlyStopping("accuracy", 0, 0);

    public EarlyStopping {
      metric = metric == null ? "accuracy" : metric;
      if (!metric.equals("accuracy") && !metric.equals("loss")) {
        throw StrataException.invalid(
            "early_stopping.metric: '%s' (expected: accuracy or loss)", metric);
      }
      if (patience < 0) {
        throw StrataException.invalid("early_stopping.patience: %d (expected: >= 0)", patience);
      }
    }

    public boolean enabled() {
      return patience > 0;
    }
  }
}
