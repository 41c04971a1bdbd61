package dev.strata.federated.client;

import static java.util.Objects.requireNonNull;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.strata.core.StrataException;
import dev.strata.federated.aggregate.ClientUpdate;
import dev.strata.federated.job.OnnxParameters;
import dev.strata.preprocess.Augmenter;
import dev.strata.preprocess.FittedPipeline;
import dev.strata.train.data.Features;
import dev.strata.train.engine.DjlEngines;
import dev.strata.train.engine.TrainConfig;
import dev.strata.train.model.Networks;
import dev.strata.train.spec.TrainingSpec;
import dev.strata.train.training.Losses;
import dev.strata.train.training.ModelTrainer;
import dev.strata.train.training.Updater;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * A client's local training with DJL: loads the global parameters into the spec's network, trains
 * on the client's own features and returns only the change (local minus global). The network's
 * parameters travel as one flat float vector in the block's parameter order — weights, biases and
 * batch-norm scale, shift and running statistics — so that the server can average them. One
 * instance holds one network and is reused round after round (and, in the simulator, client after
 * client); not thread-safe.
 */
public final class LocalTrainer implements AutoCloseable {
  private final TrainingSpec spec;
  private final FittedPipeline pipeline;
  private final Engine engine;
  private final NDManager manager;
  private final SequentialBlock block;
  private final List<Pair<String, Parameter>> params = new ArrayList<>();
  private final List<Parameter> vector = new ArrayList<>();
  private final int size;
  private final float[] initial;

  public LocalTrainer(TrainConfig config, TrainingSpec spec, FittedPipeline pipeline) {
    this(config, spec, pipeline, Optional.empty());
  }

  /**
   * A trainer whose parameter vector follows {@code layout}, the initializers of the ONNX model the
   * job started from (the cloud reads and writes the vector in that order), instead of the block's
   * own parameter order.
   */
  public LocalTrainer(
      TrainConfig config,
      TrainingSpec spec,
      FittedPipeline pipeline,
      Optional<List<OnnxParameters.Entry>> layout) {
    this.spec = requireNonNull(spec, "spec");
    this.pipeline = requireNonNull(pipeline, "pipeline");
    this.engine = DjlEngines.pytorch(config);
    this.manager = engine.newBaseManager();
    try {
      engine.setRandomSeed((int) spec.training().seed());
      long[] sample = pipeline.featureShape();
      block = Networks.build(Networks.trainingLayers(spec.model().layers()), sample);
      block.initialize(manager, DataType.FLOAT32, new Shape(ModelTrainer.batchShape(1, sample)));
      block.getParameters().forEach(params::add);
      if (layout.isPresent()) {
        mapLayout(layout.get());
      } else {
        params.forEach(p -> vector.add(p.getValue()));
      }
      int n = 0;
      for (Parameter p : vector) {
        n = Math.addExact(n, Math.toIntExact(p.getArray().size()));
      }
      size = n;
      initial = parameters();
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  private void mapLayout(List<OnnxParameters.Entry> layout) {
    java.util.Set<Parameter> seen =
        java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (OnnxParameters.Entry e : layout) {
      if (e.layer() >= block.getChildren().size()) {
        throw StrataException.invalid(
            "model parameter %s: layer %d, but the spec's network has %d layers (expected: the model exported from this spec)",
            e.name(), e.layer(), block.getChildren().size());
      }
      ai.djl.nn.Block child = block.getChildren().get(e.layer()).getValue();
      String djl =
          switch (e.kind()) {
            case "scale" -> "gamma";
            case "mean" -> "runningMean";
            case "var" -> "runningVar";
            case "bias" -> child.getParameters().contains("beta") ? "beta" : "bias";
            default -> e.kind();
          };
      if (!child.getParameters().contains(djl)) {
        throw StrataException.invalid(
            "model parameter %s: layer %d has no %s (expected: the model exported from this spec)",
            e.name(), e.layer(), djl);
      }
      Parameter p = child.getParameters().get(djl);
      if (!java.util.Arrays.equals(p.getArray().getShape().getShape(), e.dims())) {
        throw StrataException.invalid(
            "model parameter %s: shape %s (expected: %s, as the spec's network declares)",
            e.name(), java.util.Arrays.toString(e.dims()), p.getArray().getShape());
      }
      vector.add(p);
      seen.add(p);
    }
    for (Pair<String, Parameter> p : params) {
      if (!seen.contains(p.getValue())) {
        throw StrataException.invalid(
            "the model has no initializer for the network's parameter %s (expected: the model exported from this spec)",
            p.getKey());
      }
    }
  }

  /** The positions of the vector that are not trained by gradients (running statistics). */
  public java.util.BitSet statistics() {
    java.util.BitSet out = new java.util.BitSet();
    int at = 0;
    for (Parameter p : vector) {
      int n = (int) p.getArray().size();
      if (!p.requiresGradient()) {
        out.set(at, at + n);
      }
      at += n;
    }
    return out;
  }

  /** The number of values in a parameter vector. */
  public int size() {
    return size;
  }

  /** The spec's seeded initial parameters (what a new job starts from without a model). */
  public float[] initialParameters() {
    return initial.clone();
  }

  /** The parameters last loaded or trained. */
  public float[] parameters() {
    float[] out = new float[size];
    int at = 0;
    for (Parameter p : vector) {
      float[] v = p.getArray().toFloatArray();
      System.arraycopy(v, 0, out, at, v.length);
      at += v.length;
    }
    return out;
  }

  /** Sets the network's parameters from a vector. */
  public void load(float[] values) {
    if (values.length != size) {
      throw StrataException.invalid(
          "parameters: %d values (expected: %d for this spec's network)", values.length, size);
    }
    int at = 0;
    for (Parameter p : vector) {
      NDArray a = p.getArray();
      int n = (int) a.size();
      a.set(FloatBuffer.wrap(values, at, n));
      at += n;
    }
  }

  /**
   * Trains from {@code global} on {@code data} and returns the update. The client's samples stay
   * here: the update holds parameter differences, the sample count and the mean loss only.
   */
  public ClientUpdate train(
      String client, float[] global, Features data, LocalTraining how, long seed) {
    if (data.count() == 0) {
      throw StrataException.invalid("client %s: no local training data", client);
    }
    load(global);
    Random rnd = new Random(seed);
    engine.setRandomSeed((int) (seed ^ (seed >>> 32)));
    Augmenter augmenter = new Augmenter(pipeline);
    int n = data.count();
    int per = data.sampleSize();
    float[] buf = new float[how.batchSize() * per];
    double lossSum = 0;
    long seen = 0;
    float lr = (float) how.learningRate();
    try (NDManager round = manager.newSubManager()) {
      List<NDArray> anchors = new ArrayList<>();
      List<NDArray> trainable = new ArrayList<>();
      for (Pair<String, Parameter> p : params) {
        if (p.getValue().requiresGradient()) {
          trainable.add(p.getValue().getArray());
          // a copy outside the autograd graph: the proximal term's gradient is mu (w - w_global)
          NDArray w = p.getValue().getArray();
          anchors.add(how.proximalMu() > 0 ? round.create(w.toFloatArray(), w.getShape()) : null);
        }
      }
      try (Updater updater = new Updater(how.optimizer(), params, round)) {
        ParameterStore store = new ParameterStore(round, false);
        for (int epoch = 0; epoch < how.epochs(); epoch++) {
          int[] order = ModelTrainer.shuffled(n, rnd);
          for (int from = 0; from < n; from += how.batchSize()) {
            int b = Math.min(how.batchSize(), n - from);
            for (int i = 0; i < b; i++) {
              System.arraycopy(data.data(), order[from + i] * per, buf, i * per, per);
              if (!augmenter.isEmpty()) {
                augmenter.apply(buf, i * per, rnd);
              }
            }
            try (NDManager bm = round.newSubManager()) {
              NDArray x =
                  bm.create(
                      FloatBuffer.wrap(buf, 0, b * per),
                      new Shape(ModelTrainer.batchShape(b, data.sampleShape())));
              NDArray y = ModelTrainer.targets(bm, data, order, from, b);
              try (GradientCollector gc = engine.newGradientCollector()) {
                NDArray out = block.forward(store, new NDList(x), true).singletonOrThrow();
                NDArray loss = Losses.loss(spec.training().loss(), out, y);
                lossSum += loss.getFloat() * b;
                if (how.proximalMu() > 0) {
                  NDArray prox = null;
                  for (int i = 0; i < trainable.size(); i++) {
                    NDArray d = trainable.get(i).sub(anchors.get(i)).square().sum();
                    prox = prox == null ? d : prox.add(d);
                  }
                  loss = loss.add(prox.mul((float) (how.proximalMu() / 2)));
                }
                gc.backward(loss);
              }
              updater.step(lr);
            }
            seen += b;
          }
        }
      }
    }
    float[] local = parameters();
    for (int i = 0; i < local.length; i++) {
      local[i] -= global[i];
    }
    return new ClientUpdate(client, local, n, lossSum / seen);
  }

  /** Loss and accuracy (NaN for regression) of {@code values} on {@code data}. */
  public double[] evaluate(float[] values, Features data) {
    load(values);
    return ModelTrainer.evaluate(
        block, new ParameterStore(manager, false), manager, data, 256, spec);
  }

  /** The network, holding whatever parameters were last loaded (e.g. to export the result). */
  public SequentialBlock block() {
    return block;
  }

  @Override
  public void close() {
    manager.close();
  }
}
