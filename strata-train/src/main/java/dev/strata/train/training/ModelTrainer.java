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

  /** One process: no exchange at all. */
  private static final DataParallel SINGLE =
      new DataParallel() {
        @Override
        public int rank() {
          return 0;
        }

        @Override
        public int workers() {
          return 1;
        }

        @Override
        public boolean start(float[] weights, long step) {
          return false;
        }

        @Override
        public Combined combine(float[] vector, long step, float learningRate) {
          return Combined.GRADIENTS;
        }

        @Override
        public double[] sum(double[] values) {
          return values;
        }

        @Override
        public int checkpointEvery() {
          return 0;
        }
      };

  /** DJL's PyTorch engine allows one recording gradient collector per JVM at a time. */
  private static final java.util.concurrent.locks.ReentrantLock COLLECTOR =
      new java.util.concurrent.locks.ReentrantLock();

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
        Optional.empty(),
        SINGLE);
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
        Optional.of(teacher),
        SINGLE);
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
        spec,
        data,
        checkpointDir,
        Optional.empty(),
        Optional.empty(),
        initial,
        hook,
        distillation,
        SINGLE);
  }

  /**
   * Trains as worker {@code parallel.rank()} of a data-parallel run (see {@link DataParallel}),
   * continuing from {@code checkpointDir} when it holds a checkpoint of this run (a re-run after a
   * lost worker) and starting afresh otherwise. Only rank 0 writes into {@code checkpointDir}, so
   * it must be a directory every worker reads.
   */
  public TrainedModel trainParallel(
      TrainingSpec spec, PreparedData data, Path checkpointDir, DataParallel parallel)
      throws IOException {
    requireNonNull(parallel, "parallel");
    Optional<CheckpointState> from = Optional.empty();
    if (java.nio.file.Files.exists(checkpointDir.resolve(Checkpoints.STATE))) {
      CheckpointState s = Checkpoints.state(checkpointDir);
      int saved = Math.max(1, s.workers());
      if (s.stepsDone() > 0 && saved != parallel.workers()) {
        throw StrataException.invalid(
            "checkpoint %s: taken inside an epoch by %d workers (expected: the same number of"
                + " workers, %d given)",
            checkpointDir, saved, parallel.workers());
      }
      if (!s.datasetDigest().equals(data.digest())) {
        throw StrataException.invalid(
            "checkpoint %s: data digest %s (expected: %s, the data it was trained on)",
            checkpointDir, data.digest(), s.datasetDigest());
      }
      from = Optional.of(s);
    } else if (parallel.rank() == 0) {
      Checkpoints.writeStart(checkpointDir, spec, data.pipeline());
    }
    return run(
        spec,
        data,
        checkpointDir,
        from,
        Optional.empty(),
        b -> {},
        StepHook.NONE,
        Optional.empty(),
        parallel);
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
        Optional.empty(),
        SINGLE);
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
      Optional<Distillation> distillation,
      DataParallel parallel)
      throws IOException {
    Engine engine = DjlEngines.pytorch(config);
    boolean writer = parallel.rank() == 0;
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
        int global = opt.batchSize() * parallel.workers();
        int steps = (train.count() + global - 1) / global;
        LearningRates lr = new LearningRates(opt, steps);
        List<EpochStats> history = new ArrayList<>();
        int startEpoch = 0;
        int bestEpoch = 0;
        double best = Double.NaN;
        int stale = 0;
        int startStep = 0;
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
          startStep = s.stepsDone();
          if (bestEpoch > 0) {
            bestParams = Checkpoints.bytes(dir, Checkpoints.BEST);
          }
          if (s.stopped()) {
            startEpoch = opt.epochs();
          }
        }
        Augmenter augmenter = new Augmenter(data.pipeline());
        ParameterStore store = new ParameterStore(manager, false);
        List<ai.djl.nn.Parameter> trainable = trainable(params);
        if (parallel != SINGLE) {
          float[] w = flatten(trainable);
          if (parallel.start(w, updater.steps())) {
            setWeights(trainable, w);
          }
        }
        Progress progress =
            new Progress(
                dir,
                spec,
                data,
                updater,
                history,
                bestEpoch,
                best,
                stale,
                bestParams,
                writer,
                parallel.workers());
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
                  epoch == startEpoch + 1 ? startStep : 0,
                  hook,
                  distillation,
                  parallel,
                  trainable,
                  progress);
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
                  history,
                  0,
                  parallel.workers());
          if (writer) {
            Checkpoints.writeEpoch(dir, state, now, updater.saveState(), newBest);
          }
          parallel.checkpointed(updater.steps());
          progress.epochDone(bestEpoch, best, stale, bestParams);
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
      int firstStep,
      StepHook hook,
      Optional<Distillation> distillation,
      DataParallel parallel,
      List<ai.djl.nn.Parameter> trainable,
      Progress progress)
      throws IOException {
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
    int world = parallel.workers();
    int global = opt.batchSize() * world;
    boolean exchange = parallel != SINGLE;
    float[] vector = exchange ? new float[count(trainable)] : null;
    for (int step = firstStep; step < steps; step++) {
      int stepFrom = step * global;
      int stepSize = Math.min(global, n - stepFrom);
      int lo = Math.min(parallel.rank() * opt.batchSize(), stepSize);
      int from = stepFrom + lo;
      int b = Math.min((parallel.rank() + 1) * opt.batchSize(), stepSize) - lo;
      for (int i = 0; i < b; i++) {
        System.arraycopy(train.data(), order[from + i] * per, buf, i * per, per);
        if (!augmenter.isEmpty()) {
          augmenter.apply(buf, i * per, rnd);
        }
      }
      rate = lr.at(updater.steps());
      try (NDManager bm = manager.newSubManager()) {
        if (b > 0) {
          // DJL allows one gradient collector per JVM: workers sharing one (Spark's local[N])
          // take turns for the forward and backward pass
          COLLECTOR.lock();
          try {
            NDArray x =
                bm.create(FloatBuffer.wrap(buf, 0, b * per), new Shape(batchShape(b, sample)));
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
              if (exchange) {
                flattenGradients(trainable, vector, (float) b / stepSize);
              }
            }
          } finally {
            COLLECTOR.unlock();
          }
        } else if (exchange) {
          java.util.Arrays.fill(vector, 0f);
        }
        if (!exchange) {
          updater.step(rate);
        } else {
          DataParallel.Combined combined = parallel.combine(vector, updater.steps() + 1, rate);
          // workers sharing one JVM also take turns for the copies and the update
          COLLECTOR.lock();
          try {
            if (combined == DataParallel.Combined.GRADIENTS) {
              setGradients(trainable, vector);
              updater.step(rate);
            } else {
              setWeights(trainable, vector);
              // the fused update kernels zero the gradients they consume; here none ran
              zeroGradients(trainable);
              updater.countStep();
            }
          } finally {
            COLLECTOR.unlock();
          }
        }
        hook.afterStep(block, updater.steps());
      }
      seen += b;
      parallel.afterStep(epoch, step + 1, updater.steps());
      if (parallel.checkpointEvery() > 0
          && updater.steps() % parallel.checkpointEvery() == 0
          && step + 1 < steps) {
        progress.midEpoch(block, epoch, step + 1);
        parallel.checkpointed(updater.steps());
      }
      double secs = Math.max(1e-3, (clock.millis() - start) / 1000.0);
      listener.onStep(
          epoch,
          opt.epochs(),
          step + 1,
          steps,
          lossSum / Math.max(1, seen),
          train.isClassification() ? (double) correct / Math.max(1, seen) : Double.NaN,
          seen / secs,
          secs / Math.max(1, seen) * (n / world - seen));
    }
    if (exchange) {
      double[] total = parallel.sum(new double[] {lossSum, correct, seen});
      lossSum = total[0];
      correct = (long) total[1];
      seen = (long) total[2];
    }
    double secs = Math.max(1e-3, (clock.millis() - start) / 1000.0);
    long done = Math.max(1, seen);
    return new EpochStats(
        epoch,
        lossSum / done,
        train.isClassification() ? (double) correct / done : Double.NaN,
        Double.NaN,
        Double.NaN,
        rate,
        secs,
        seen / secs);
  }

  private static List<ai.djl.nn.Parameter> trainable(List<Pair<String, ai.djl.nn.Parameter>> all) {
    List<ai.djl.nn.Parameter> out = new ArrayList<>();
    for (Pair<String, ai.djl.nn.Parameter> p : all) {
      if (p.getValue().requiresGradient()) {
        out.add(p.getValue());
      }
    }
    return out;
  }

  private static int count(List<ai.djl.nn.Parameter> params) {
    long n = 0;
    for (ai.djl.nn.Parameter p : params) {
      n += p.getArray().size();
    }
    return Math.toIntExact(n);
  }

  /** The parameters' values, concatenated in order. */
  private static float[] flatten(List<ai.djl.nn.Parameter> params) {
    float[] v = new float[count(params)];
    int at = 0;
    for (ai.djl.nn.Parameter p : params) {
      float[] a = p.getArray().toFloatArray();
      System.arraycopy(a, 0, v, at, a.length);
      at += a.length;
    }
    return v;
  }

  /** The parameters' gradients times {@code scale}, concatenated in order into {@code v}. */
  private static void flattenGradients(List<ai.djl.nn.Parameter> params, float[] v, float scale) {
    int at = 0;
    for (ai.djl.nn.Parameter p : params) {
      try (NDArray g = p.getArray().getGradient()) {
        float[] a = g.toFloatArray();
        for (int i = 0; i < a.length; i++) {
          v[at + i] = a[i] * scale;
        }
        at += a.length;
      }
    }
  }

  private static void setGradients(List<ai.djl.nn.Parameter> params, float[] v) {
    int at = 0;
    for (ai.djl.nn.Parameter p : params) {
      try (NDArray g = p.getArray().getGradient()) {
        at = copyInto(g, v, at);
      }
    }
  }

  private static void zeroGradients(List<ai.djl.nn.Parameter> params) {
    for (ai.djl.nn.Parameter p : params) {
      try (NDArray g = p.getArray().getGradient()) {
        g.set(new ai.djl.ndarray.index.NDIndex(":"), 0f);
      }
    }
  }

  private static void setWeights(List<ai.djl.nn.Parameter> params, float[] v) {
    int at = 0;
    for (ai.djl.nn.Parameter p : params) {
      at = copyInto(p.getArray(), v, at);
    }
  }

  /**
   * Copies {@code target.size()} values of {@code v} from {@code at} into {@code target}'s own
   * storage. Not {@code NDArray.set(Buffer)}: in DJL's PyTorch engine that points the tensor at the
   * Java buffer, which the handle it was called on keeps alive — a gradient handle is closed at
   * once, after which PyTorch accumulates into (and frees) memory the JVM has reclaimed.
   */
  private static int copyInto(NDArray target, float[] v, int at) {
    int size = Math.toIntExact(target.size());
    try (NDManager m = target.getManager().newSubManager();
        NDArray src = m.create(FloatBuffer.wrap(v, at, size), target.getShape())) {
      target.set(new ai.djl.ndarray.index.NDIndex(":"), src);
    }
    return at + size;
  }

  /** What a checkpoint inside an epoch needs of the run's state (written by rank 0 only). */
  private static final class Progress {
    private final Path dir;
    private final PreparedData data;
    private final Updater updater;
    private final List<EpochStats> history;
    private final boolean writer;
    private final int workers;
    private int bestEpoch;
    private double best;
    private int stale;
    private byte[] bestParams;

    Progress(
        Path dir,
        TrainingSpec spec,
        PreparedData data,
        Updater updater,
        List<EpochStats> history,
        int bestEpoch,
        double best,
        int stale,
        byte[] bestParams,
        boolean writer,
        int workers) {
      this.dir = dir;
      this.data = data;
      this.updater = updater;
      this.history = history;
      this.writer = writer;
      this.workers = workers;
      epochDone(bestEpoch, best, stale, bestParams);
    }

    void epochDone(int bestEpoch, double best, int stale, byte[] bestParams) {
      this.bestEpoch = bestEpoch;
      this.best = best;
      this.stale = stale;
      this.bestParams = bestParams;
    }

    void midEpoch(ai.djl.nn.Block block, int epoch, int stepsDone) throws IOException {
      if (!writer) {
        return;
      }
      String stem = String.format(java.util.Locale.ROOT, "epoch-%04d-step-%06d", epoch, stepsDone);
      CheckpointState state =
          new CheckpointState(
              CheckpointState.FORMAT_VERSION,
              epoch - 1,
              stem + ".params",
              stem + ".optimizer",
              bestEpoch,
              best,
              stale,
              false,
              data.classes(),
              data.digest(),
              history,
              stepsDone,
              workers);
      Checkpoints.writeEpoch(dir, state, paramsOf(block), updater.saveState(), null);
    }
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
