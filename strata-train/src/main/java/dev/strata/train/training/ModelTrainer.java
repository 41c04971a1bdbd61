package dev.strata.train.training;

import static java.util.Objects.requireNonNull;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.strata.core.StrataException;
import dev.strata.preprocess.Augmenter;
import dev.strata.preprocess.FittedPipeline;
import dev.strata.train.data.Features;
import dev.strata.train.data.PreparedData;
import dev.strata.train.engine.DjlEngines;
import dev.strata.train.engine.TrainConfig;
import dev.strata.train.model.Networks;
import dev.strata.train.spec.LayerSpec;
import dev.strata.train.spec.TrainingOptions;
import dev.strata.train.spec.TrainingSpec;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a network from a {@link TrainingSpec} with DJL on PyTorch: seeded (weights, shuffling,
 * dropout and augmentation all derive from the spec's seed and the epoch number, so a resumed run
 * continues exactly as an uninterrupted one would), a checkpoint after every epoch, early stopping
 * on the validation metric with the best weights restored.
 */
public final class ModelTrainer {
  private static final Logger log = LoggerFactory.getLogger(ModelTrainer.class);

  private final TrainConfig config;
  private final Clock clock;
  private final TrainingListener listener;

  public ModelTrainer(TrainConfig config, Clock clock, TrainingListener listener) {
    this.config = requireNonNull(config, "config");
    this.clock = requireNonNull(clock, "clock");
    this.listener = requireNonNull(listener, "listener");
  }

  /**
   * Trains from scratch, checkpointing into {@code checkpointDir}.
   *
   * @param stopAfterEpochs stop (as if interrupted) after this many epochs of this call; empty to
   *     run to the end
   */
  public TrainedModel train(
      TrainingSpec spec, PreparedData data, Path checkpointDir, Optional<Integer> stopAfterEpochs)
      throws IOException {
    Checkpoints.writeStart(checkpointDir, spec, data.pipeline());
    return run(
        spec,
        data,
        checkpointDir,
        Optional.empty(),
        stopAfterEpochs,
        b -> {},
        StepHook.NONE,
        Optional.empty());
  }

  /**
   * Trains from scratch as {@link #train} does, with the distillation loss from {@code teacher}
   * (validation and early stopping still use the spec's own loss and metric). Not resumable: the
   * teacher is not part of the checkpoint.
   */
  public TrainedModel distill(
      TrainingSpec spec, PreparedData data, Path checkpointDir, Distillation teacher)
      throws IOException {
    Checkpoints.writeStart(checkpointDir, spec, data.pipeline());
    return run(
        spec,
        data,
        checkpointDir,
        Optional.empty(),
        Optional.empty(),
        b -> {},
        StepHook.NONE,
        Optional.of(teacher));
  }

  /**
   * Fine-tunes given weights: {@code initial} sets the freshly initialised block's parameters
   * (after the spec's seeded initialisation, so whatever it leaves keeps its seeded value), then
   * training runs as {@link #train} does, calling {@code hook} after every optimizer step, with
   * {@code distillation}'s loss when given. Checkpoints go to {@code checkpointDir}; a fine-tuning
   * run is not resumed (its hook's state, e.g. pruning masks, is not in the checkpoint).
   */
  public TrainedModel fineTune(
      TrainingSpec spec,
      PreparedData data,
      Path checkpointDir,
      java.util.function.Consumer<SequentialBlock> initial,
      StepHook hook,
      Optional<Distillation> distillation)
      throws IOException {
    Checkpoints.writeStart(checkpointDir, spec, data.pipeline());
    return run(
        spec, data, checkpointDir, Optional.empty(), Optional.empty(), initial, hook, distillation);
  }

  /** Continues the run saved in {@code checkpointDir} on the same prepared data. */
  public TrainedModel resume(Path checkpointDir, PreparedData data, Optional<Integer> stopAfter)
      throws IOException {
    TrainingSpec spec = Checkpoints.spec(checkpointDir);
    CheckpointState state = Checkpoints.state(checkpointDir);
    FittedPipeline saved = Checkpoints.pipeline(checkpointDir);
    if (!saved.equals(data.pipeline()) && !saved.toJson().equals(data.pipeline().toJson())) {
      throw StrataException.invalid(
          "checkpoint %s: the data fits a different preprocessing pipeline than the checkpoint's"
              + " (expected: the same data set)",
          checkpointDir);
    }
    if (!state.datasetDigest().equals(data.digest())) {
      throw StrataException.invalid(
          "checkpoint %s: data digest %s (expected: %s, the data it was trained on)",
          checkpointDir, data.digest(), state.datasetDigest());
    }
    return run(
        spec,
        data,
        checkpointDir,
        Optional.of(state),
        stopAfter,
        b -> {},
        StepHook.NONE,
        Optional.empty());
  }

  /**
   * Loads the model a checkpoint holds: the best epoch's weights when early stopping kept one, else
   * the last epoch's.
   */
  public TrainedModel restore(Path checkpointDir) throws IOException {
    TrainingSpec spec = Checkpoints.spec(checkpointDir);
    CheckpointState state = Checkpoints.state(checkpointDir);
    FittedPipeline pipeline = Checkpoints.pipeline(checkpointDir);
    Engine engine = DjlEngines.pytorch(config);
    NDManager manager = engine.newBaseManager();
    try {
      SequentialBlock block =
          Networks.build(Networks.trainingLayers(spec.model().layers()), pipeline.featureShape());
      block.initialize(
          manager, DataType.FLOAT32, new Shape(batchShape(1, pipeline.featureShape())));
      boolean useBest = spec.training().earlyStopping().enabled() && state.bestEpoch() > 0;
      load(
          block,
          manager,
          Checkpoints.bytes(checkpointDir, useBest ? Checkpoints.BEST : state.parametersFile()));
      return new TrainedModel(
          spec, pipeline, state.classes(), state.history(), state.datasetDigest(), manager, block);
    } catch (IOException | RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /**
   * A model of these layers with the weights {@code initial} sets, untrained (e.g. a network cut
   * down by structured pruning, to be measured before fine-tuning).
   */
  public TrainedModel assemble(
      TrainingSpec spec,
      FittedPipeline pipeline,
      List<String> classes,
      String datasetDigest,
      java.util.function.Consumer<SequentialBlock> initial) {
    Engine engine = DjlEngines.pytorch(config);
    NDManager manager = engine.newBaseManager();
    try {
      SequentialBlock block =
          Networks.build(Networks.trainingLayers(spec.model().layers()), pipeline.featureShape());
      block.initialize(
          manager, DataType.FLOAT32, new Shape(batchShape(1, pipeline.featureShape())));
      initial.accept(block);
      return new TrainedModel(spec, pipeline, classes, List.of(), datasetDigest, manager, block);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  private TrainedModel run(
      TrainingSpec spec,
      PreparedData data,
      Path dir,
      Optional<CheckpointState> resumeFrom,
      Optional<Integer> stopAfter,
      java.util.function.Consumer<SequentialBlock> initial,
      StepHook hook,
      Optional<Distillation> distillation)
      throws IOException {
    Engine engine = DjlEngines.pytorch(config);
    TrainingOptions opt = spec.training();
    List<LayerSpec> layers = Networks.trainingLayers(spec.model().layers());
    long[] sample = data.pipeline().featureShape();
    List<long[]> shapes = Networks.shapes(spec.model().layers(), sample);
    checkOutputs(spec, data, shapes.get(layers.size() - 1));

    NDManager manager = engine.newBaseManager();
    boolean done = false;
    try {
      engine.setRandomSeed((int) opt.seed());
      SequentialBlock block = Networks.build(layers, sample);
      block.initialize(manager, DataType.FLOAT32, new Shape(batchShape(1, sample)));
      initial.accept(block);
      hook.afterStep(block, 0);
      List<Pair<String, ai.djl.nn.Parameter>> params = new ArrayList<>();
      block.getParameters().forEach(params::add);
      try (Updater updater = new Updater(opt.optimizer(), params, manager)) {
        Features train = data.train();
        int steps = (train.count() + opt.batchSize() - 1) / opt.batchSize();
        LearningRates lr = new LearningRates(opt, steps);
        List<EpochStats> history = new ArrayList<>();
        int startEpoch = 0;
        int bestEpoch = 0;
        double best = Double.NaN;
        int stale = 0;
        byte[] bestParams = null;
        if (resumeFrom.isPresent()) {
          CheckpointState s = resumeFrom.get();
          if (s.stopped() || s.epochsDone() >= opt.epochs()) {
            log.info("checkpoint {} is already complete ({} epochs)", dir, s.epochsDone());
          }
          load(block, manager, Checkpoints.bytes(dir, s.parametersFile()));
          updater.loadState(Checkpoints.bytes(dir, s.optimizerFile()), dir.toString());
          history.addAll(s.history());
          startEpoch = s.epochsDone();
          bestEpoch = s.bestEpoch();
          best = s.bestMetric();
          stale = s.stale();
          if (bestEpoch > 0) {
            bestParams = Checkpoints.bytes(dir, Checkpoints.BEST);
          }
          if (s.stopped()) {
            startEpoch = opt.epochs();
          }
        }
        Augmenter augmenter = new Augmenter(data.pipeline());
        ParameterStore store = new ParameterStore(manager, false);
        boolean stopped = false;
        int ran = 0;
        for (int epoch = startEpoch + 1; epoch <= opt.epochs() && !stopped; epoch++) {
          if (stopAfter.isPresent() && ran >= stopAfter.get()) {
            break;
          }
          EpochStats stats =
              runEpoch(
                  engine,
                  block,
                  store,
                  updater,
                  manager,
                  train,
                  augmenter,
                  lr,
                  opt,
                  epoch,
                  steps,
                  hook,
                  distillation);
          Optional<Features> val = data.validation();
          double[] v =
              val.isPresent()
                  ? evaluate(block, store, manager, val.get(), opt.batchSize(), spec)
                  : new double[] {Double.NaN, Double.NaN};
          stats =
              new EpochStats(
                  epoch,
                  stats.trainLoss(),
                  stats.trainAccuracy(),
                  v[0],
                  v[1],
                  stats.learningRate(),
                  stats.seconds(),
                  stats.samplesPerSecond());
          history.add(stats);
          listener.onEpoch(stats);
          byte[] now = paramsOf(block);
          byte[] newBest = null;
          TrainingOptions.EarlyStopping es = opt.earlyStopping();
          if (val.isPresent()) {
            double metric = es.metric().equals("loss") || !train.isClassification() ? -v[0] : v[1];
            if (Double.isNaN(best) || metric > best + es.minDelta()) {
              best = metric;
              bestEpoch = epoch;
              stale = 0;
              bestParams = now;
              newBest = now;
            } else {
              stale++;
              stopped = es.enabled() && stale >= es.patience();
            }
          }
          ran++;
          String stem = String.format("epoch-%04d", epoch);
          CheckpointState state =
              new CheckpointState(
                  CheckpointState.FORMAT_VERSION,
                  epoch,
                  stem + ".params",
                  stem + ".optimizer",
                  bestEpoch,
                  best,
                  stale,
                  stopped,
                  data.classes(),
                  data.digest(),
                  history);
          Checkpoints.writeEpoch(dir, state, now, updater.saveState(), newBest);
          if (stopped) {
            log.info("early stopping after epoch {}: best epoch {}", epoch, bestEpoch);
          }
        }
        boolean finished =
            stopped
                || history.size() >= opt.epochs()
                || stopAfter.isEmpty()
                || ran < stopAfter.get();
        if (finished && bestParams != null && opt.earlyStopping().enabled()) {
          load(block, manager, bestParams);
        }
        done = true;
        return new TrainedModel(
            spec, data.pipeline(), data.classes(), history, data.digest(), manager, block);
      }
    } finally {
      if (!done) {
        manager.close();
      }
    }
  }

  private EpochStats runEpoch(
      Engine engine,
      SequentialBlock block,
      ParameterStore store,
      Updater updater,
      NDManager manager,
      Features train,
      Augmenter augmenter,
      LearningRates lr,
      TrainingOptions opt,
      int epoch,
      int steps,
      StepHook hook,
      Optional<Distillation> distillation) {
    long seed = opt.seed() * 1_000_003L + epoch;
    engine.setRandomSeed((int) (seed ^ (seed >>> 32)));
    Random rnd = new Random(seed);
    int n = train.count();
    int[] order = shuffled(n, rnd);
    int per = train.sampleSize();
    long[] sample = train.sampleShape();
    float[] buf = new float[opt.batchSize() * per];
    double lossSum = 0;
    long correct = 0;
    long seen = 0;
    long start = clock.millis();
    float rate = 0;
    for (int step = 0; step < steps; step++) {
      int from = step * opt.batchSize();
      int b = Math.min(opt.batchSize(), n - from);
      for (int i = 0; i < b; i++) {
        System.arraycopy(train.data(), order[from + i] * per, buf, i * per, per);
        if (!augmenter.isEmpty()) {
          augmenter.apply(buf, i * per, rnd);
        }
      }
      rate = lr.at(updater.steps());
      try (NDManager bm = manager.newSubManager()) {
        NDArray x = bm.create(FloatBuffer.wrap(buf, 0, b * per), new Shape(batchShape(b, sample)));
        NDArray y = targets(bm, train, order, from, b);
        try (GradientCollector gc = engine.newGradientCollector()) {
          NDArray out = block.forward(store, new NDList(x), true).singletonOrThrow();
          NDArray loss;
          if (distillation.isPresent()) {
            Distillation d = distillation.get();
            float[] t = d.teacher().logits(buf, b);
            NDArray teacher = bm.create(t, new Shape(b, t.length / b));
            loss = Losses.distillation(opt.loss(), out, y, teacher, d.temperature(), d.alpha());
          } else {
            loss = Losses.loss(opt.loss(), out, y);
          }
          gc.backward(loss);
          lossSum += loss.getFloat() * b;
          if (train.isClassification()) {
            correct += out.argMax(1).eq(y).countNonzero().getLong();
          }
        }
        updater.step(rate);
        hook.afterStep(block, updater.steps());
      }
      seen += b;
      double secs = Math.max(1e-3, (clock.millis() - start) / 1000.0);
      listener.onStep(
          epoch,
          opt.epochs(),
          step + 1,
          steps,
          lossSum / seen,
          train.isClassification() ? (double) correct / seen : Double.NaN,
          seen / secs,
          secs / seen * (n - seen));
    }
    double secs = Math.max(1e-3, (clock.millis() - start) / 1000.0);
    return new EpochStats(
        epoch,
        lossSum / n,
        train.isClassification() ? (double) correct / n : Double.NaN,
        Double.NaN,
        Double.NaN,
        rate,
        secs,
        n / secs);
  }

  /** Mean loss and accuracy (NaN for regression) in inference mode. */
  public static double[] evaluate(
      SequentialBlock block,
      ParameterStore store,
      NDManager manager,
      Features data,
      int batch,
      TrainingSpec spec) {
    int n = data.count();
    int per = data.sampleSize();
    double lossSum = 0;
    long correct = 0;
    int[] identity = new int[n];
    for (int i = 0; i < n; i++) {
      identity[i] = i;
    }
    for (int from = 0; from < n; from += batch) {
      int b = Math.min(batch, n - from);
      try (NDManager bm = manager.newSubManager()) {
        NDArray x =
            bm.create(
                FloatBuffer.wrap(data.data(), from * per, b * per),
                new Shape(batchShape(b, data.sampleShape())));
        NDArray y = targets(bm, data, identity, from, b);
        NDArray out = block.forward(store, new NDList(x), false).singletonOrThrow();
        lossSum += Losses.loss(spec.training().loss(), out, y).getFloat() * b;
        if (data.isClassification()) {
          correct += out.argMax(1).eq(y).countNonzero().getLong();
        }
      }
    }
    return new double[] {lossSum / n, data.isClassification() ? (double) correct / n : Double.NaN};
  }

  /** The labels (int64) or targets ({@code [b, 1]}) of samples {@code order[from..from+b)}. */
  public static NDArray targets(NDManager m, Features f, int[] order, int from, int b) {
    if (f.isClassification()) {
      long[] y = new long[b];
      for (int i = 0; i < b; i++) {
        y[i] = f.labels()[order[from + i]];
      }
      return m.create(y);
    }
    float[] y = new float[b];
    for (int i = 0; i < b; i++) {
      y[i] = f.targets()[order[from + i]];
    }
    return m.create(y, new Shape(b, 1));
  }

  private static void checkOutputs(TrainingSpec spec, PreparedData data, long[] out) {
    int expected = spec.task() == TrainingSpec.Task.CLASSIFICATION ? data.classes().size() : 1;
    if (out.length != 1 || out[0] != expected) {
      throw StrataException.invalid(
          "model: the last layer outputs %s per sample (expected: [%d], %s)",
          java.util.Arrays.toString(out),
          expected,
          spec.task() == TrainingSpec.Task.CLASSIFICATION
              ? "one logit per class " + data.classes()
              : "one value for regression");
    }
  }

  /** {@code [n] + sample}. */
  public static long[] batchShape(long n, long[] sample) {
    long[] s = new long[sample.length + 1];
    s[0] = n;
    System.arraycopy(sample, 0, s, 1, sample.length);
    return s;
  }

  /** 0..n-1 in a Fisher–Yates order drawn from {@code rnd}. */
  public static int[] shuffled(int n, Random rnd) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A block's parameters as DJL writes them. */
  public static byte[] paramsOf(ai.djl.nn.Block block) {
    try {
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
      java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
      block.saveParameters(out);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Loads {@link #paramsOf} bytes into {@code block}, trainable parameters trainable again. */
  public static void load(ai.djl.nn.Block block, NDManager manager, byte[] params) {
    try {
      block.loadParameters(manager, new DataInputStream(new ByteArrayInputStream(params)));
    } catch (IOException | ai.djl.MalformedModelException e) {
      throw StrataException.invalid("corrupt parameters (%s)", e.getMessage());
    }
    for (Pair<String, ai.djl.nn.Parameter> p : block.getParameters()) {
      if (p.getValue().requiresGradient()) {
        p.getValue().getArray().setRequiresGradient(true);
      }
    }
  }
}
