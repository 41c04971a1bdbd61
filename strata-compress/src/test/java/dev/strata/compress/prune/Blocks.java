package dev.strata.compress.prune;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import dev.strata.train.engine.DjlEngines;
import dev.strata.train.engine.TrainConfig;
import dev.strata.train.model.Networks;
import dev.strata.train.spec.LayerSpec;
import java.util.List;
import java.util.Random;

/** Small DJL networks for the pruning tests. */
final class Blocks {
  private Blocks() {}

  static NDManager manager() {
    Engine engine = DjlEngines.pytorch(TrainConfig.defaults());
    engine.setRandomSeed(11);
    return engine.newBaseManager();
  }

  /** A block of these layers (a trailing softmax left out), seeded-initialised. */
  static SequentialBlock block(NDManager m, List<LayerSpec> layers, long[] sample) {
    SequentialBlock b = Networks.build(Networks.trainingLayers(layers), sample);
    long[] s = new long[sample.length + 1];
    s[0] = 1;
    System.arraycopy(sample, 0, s, 1, sample.length);
    b.initialize(m, DataType.FLOAT32, new Shape(s));
    return b;
  }

  /** Inference-mode outputs for {@code n} samples. */
  static float[] forward(NDManager m, SequentialBlock b, float[] x, long[] sample, int n) {
    long[] s = new long[sample.length + 1];
    s[0] = n;
    System.arraycopy(sample, 0, s, 1, sample.length);
    try (NDManager sub = m.newSubManager()) {
      return b.forward(
              new ParameterStore(sub, false), new NDList(sub.create(x, new Shape(s))), false)
          .singletonOrThrow()
          .toFloatArray();
    }
  }

  static float[] gaussian(long seed, int n) {
    Random r = new Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }
}
