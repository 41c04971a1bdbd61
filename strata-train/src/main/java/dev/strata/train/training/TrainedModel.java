package dev.strata.train.training;

import static java.util.Objects.requireNonNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import dev.strata.preprocess.FittedPipeline;
import dev.strata.train.model.Networks;
import dev.strata.train.spec.TrainingSpec;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * A trained network with everything that describes it: the spec, the fitted pipeline, the classes,
 * the training history and the data digest. Owns the native memory of its weights.
 */
public final class TrainedModel implements AutoCloseable {
  private final TrainingSpec spec;
  private final FittedPipeline pipeline;
  private final List<String> classes;
  private final List<EpochStats> history;
  private final String datasetDigest;
  private final NDManager manager;
  private final SequentialBlock block;

  TrainedModel(
      TrainingSpec spec,
      FittedPipeline pipeline,
      List<String> classes,
      List<EpochStats> history,
      String datasetDigest,
      NDManager manager,
      SequentialBlock block) {
    this.spec = requireNonNull(spec, "spec");
    this.pipeline = requireNonNull(pipeline, "pipeline");
    this.classes = List.copyOf(classes);
    this.history = List.copyOf(history);
    this.datasetDigest = requireNonNull(datasetDigest, "datasetDigest");
    this.manager = manager;
    this.block = block;
  }

  public TrainingSpec spec() {
    return spec;
  }

  public FittedPipeline pipeline() {
    return pipeline;
  }

  public List<String> classes() {
    return classes;
  }

  public List<EpochStats> history() {
    return history;
  }

  public String datasetDigest() {
    return datasetDigest;
  }

  /** The DJL block of the training layers (block i = spec layer i; no trailing softmax). */
  public SequentialBlock block() {
    return block;
  }

  /** Trainable parameters (weights, biases, batch-norm scale and shift). */
  public long parameterCount() {
    return Networks.parameterCount(spec.model().layers(), pipeline.featureShape());
  }

  /**
   * Runs the model in inference mode on {@code n} samples and returns its outputs, with the spec's
   * trailing softmax applied when it has one — the same values the exported model gives.
   */
  public float[][] predict(float[] features, int n) {
    long[] sample = pipeline.featureShape();
    long[] shape = new long[sample.length + 1];
    shape[0] = n;
    System.arraycopy(sample, 0, shape, 1, sample.length);
    try (NDManager m = manager.newSubManager()) {
      int per = pipeline.featureSize();
      NDArray x =
          m.create(FloatBuffer.wrap(features, 0, Math.multiplyExact(n, per)), new Shape(shape));
      NDArray y =
          block.forward(new ParameterStore(m, false), new NDList(x), false).singletonOrThrow();
      if (Networks.endsWithSoftmax(spec.model().layers())) {
        y = y.softmax(-1);
      }
      int width = (int) (y.size() / n);
      float[] flat = y.toFloatArray();
      float[][] out = new float[n][width];
      for (int i = 0; i < n; i++) {
        System.arraycopy(flat, i * width, out[i], 0, width);
      }
      return out;
    }
  }

  /** The weights in DJL's parameter format. */
  public byte[] parameters() {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      block.saveParameters(out);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
