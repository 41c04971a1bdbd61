package dev.strata.distributed.ps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.distributed.comm.Mesh;
import dev.strata.train.data.DataSources;
import dev.strata.train.data.PreparedData;
import dev.strata.train.engine.TrainConfig;
import dev.strata.train.spec.TrainingSpec;
import dev.strata.train.training.DataParallel;
import dev.strata.train.training.ModelTrainer;
import dev.strata.train.training.TrainedModel;
import dev.strata.train.training.TrainingListener;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parameter server over a real mesh, with one worker in this JVM (DJL records one gradient
 * collector per JVM; several workers run in separate executor JVMs, see the cluster IT): a
 * synchronous server applies the same update as the worker's own optimizer would, so the run ends
 * with the weights of a single-process run.
 */
class ParameterServerTest {
  static final Path SUBSET = Path.of("..", "data", "fashion-mnist-subset").toAbsolutePath();
  static final TrainConfig CONFIG =
      new TrainConfig(Path.of("target", "strata-home").toAbsolutePath(), 2, 1);

  static TrainingSpec spec(String optimizer) {
    return TrainingSpec.parse(
        """
        format_version: 1
        name: ps-test
        preprocessing:
          input: {kind: image, channels: 1, height: 28, width: 28}
          steps:
            - {op: normalize}
            - {op: split, validation: 0.1, test: 0, seed: 1, stratified: true}
        model:
          layers:
            - {type: flatten}
            - {type: linear, units: 32}
            - {type: relu}
            - {type: linear, units: 10}
        training:
          epochs: 1
          batch_size: 64
          seed: 5
          optimizer: %s
        """
            .formatted(optimizer),
        true,
        "test spec");
  }

  @Test
  void synchronousServerGivesTheWeightsOfOneProcess(@TempDir Path dir) throws Exception {
    for (String opt :
        new String[] {
          "{type: sgd, learning_rate: 0.05, momentum: 0.9}",
          "{type: adamw, learning_rate: 0.003, weight_decay: 0.0005}"
        }) {
      TrainingSpec spec = spec(opt);
      PreparedData data = PreparedData.prepare(spec, DataSources.load(SUBSET, spec));
      ModelTrainer trainer = new ModelTrainer(CONFIG, Clock.systemUTC(), new TrainingListener() {});
      float[] single;
      Path one = dir.resolve("one-" + opt.hashCode());
      try (TrainedModel m = trainer.train(spec, data, one, Optional.empty())) {
        single = floats(m.parameters());
      }
      float[] served;
      try (ParameterServer ps =
              ParameterServer.start(
                  "run", 1, 0, spec.training().optimizer(), InetAddress.getLoopbackAddress());
          Mesh mesh = Mesh.bind(0, "run", InetAddress.getLoopbackAddress())) {
        mesh.connect(1, ps.address(), Duration.ofSeconds(5));
        ServerParallel worker = new ServerParallel(mesh, 1, 0, 0, Duration.ofSeconds(30));
        try (TrainedModel m =
            trainer.trainParallel(spec, data, dir.resolve("ps-" + opt.hashCode()), worker)) {
          served = floats(m.parameters());
        }
        assertThat(ps.updates()).isEqualTo(29);
      }
      assertThat(relativeDifference(single, served))
          .as("relative difference with %s", opt)
          .isLessThan(1e-4);
    }
  }

  /**
   * A worker lost inside epoch 2 and the stage re-run (attempt 1, resumed from rank 0's checkpoint
   * at step 40): with the optimizer's moments kept at that checkpoint the run ends with the weights
   * of the run that was never interrupted; Adam's moments and step count restarting from zero would
   * not.
   */
  @Test
  void aReRunGoesOnWithTheOptimizerStateOfItsCheckpoint(@TempDir Path dir) throws Exception {
    String opt = "{type: adamw, learning_rate: 0.003, weight_decay: 0.0005}";
    TrainingSpec spec = spec(opt).withEpochs(2);
    PreparedData data = PreparedData.prepare(spec, DataSources.load(SUBSET, spec));
    ModelTrainer trainer = new ModelTrainer(CONFIG, Clock.systemUTC(), new TrainingListener() {});
    float[] whole;
    try (ParameterServer ps =
            ParameterServer.start(
                "whole", 1, 0, spec.training().optimizer(), InetAddress.getLoopbackAddress());
        Mesh mesh = Mesh.bind(0, "whole", InetAddress.getLoopbackAddress())) {
      mesh.connect(1, ps.address(), Duration.ofSeconds(5));
      ServerParallel worker = new ServerParallel(mesh, 1, 0, 10, Duration.ofSeconds(30));
      try (TrainedModel m = trainer.trainParallel(spec, data, dir.resolve("whole"), worker)) {
        whole = floats(m.parameters());
      }
    }
    float[] resumed;
    int restored;
    Path run = dir.resolve("resumed");
    try (ParameterServer ps =
            ParameterServer.start(
                "resumed", 1, 0, spec.training().optimizer(), InetAddress.getLoopbackAddress());
        Mesh first = Mesh.bind(0, "resumed", InetAddress.getLoopbackAddress())) {
      first.connect(1, ps.address(), Duration.ofSeconds(5));
      DataParallel lost =
          new FailsAt(new ServerParallel(first, 1, 0, 10, Duration.ofSeconds(30)), 45);
      assertThatThrownBy(() -> trainer.trainParallel(spec, data, run, lost).close())
          .hasMessageContaining("lost at step 45");
      try (Mesh second = Mesh.bind(0, "resumed", InetAddress.getLoopbackAddress())) {
        second.connect(1, ps.address(), Duration.ofSeconds(5));
        ServerParallel again = new ServerParallel(second, 1, 1, 10, Duration.ofSeconds(30));
        try (TrainedModel m = trainer.trainParallel(spec, data, run, again)) {
          resumed = floats(m.parameters());
        }
      }
      restored = ps.restoredAttempts();
    }
    assertThat(relativeDifference(whole, resumed)).isLessThan(1e-4);
    assertThat(restored).isEqualTo(1);
  }

  /** A worker whose combine fails at one step, as when its executor is lost there. */
  private record FailsAt(DataParallel inner, long step) implements DataParallel {
    @Override
    public int rank() {
      return inner.rank();
    }

    @Override
    public int workers() {
      return inner.workers();
    }

    @Override
    public boolean start(float[] weights, long at) {
      return inner.start(weights, at);
    }

    @Override
    public Combined combine(float[] vector, long at, float learningRate) {
      if (at == step) {
        throw new IllegalStateException("lost at step " + at);
      }
      return inner.combine(vector, at, learningRate);
    }

    @Override
    public double[] sum(double[] values) {
      return inner.sum(values);
    }

    @Override
    public int checkpointEvery() {
      return inner.checkpointEvery();
    }

    @Override
    public void checkpointed(long globalStep) {
      inner.checkpointed(globalStep);
    }
  }

  static double relativeDifference(float[] single, float[] served) {
    assertThat(served).hasSameSizeAs(single);
    double diff = 0;
    double norm = 0;
    for (int i = 0; i < single.length; i++) {
      if (Float.floatToRawIntBits(single[i]) == Float.floatToRawIntBits(served[i])) {
        if (Float.isFinite(single[i])) {
          norm += single[i] * (double) single[i];
        }
        continue; // equal values, or the same header bytes
      }
      if (Float.isNaN(single[i]) && Float.isNaN(served[i])) {
        continue; // header bytes read as floats
      }
      diff += (single[i] - served[i]) * (double) (single[i] - served[i]);
      norm += single[i] * (double) single[i];
    }
    return Math.sqrt(diff / norm);
  }

  static float[] floats(byte[] params) {
    // DJL's parameter file (big-endian, headers and all): equal files give equal floats
    ByteBuffer b = ByteBuffer.wrap(params);
    float[] f = new float[params.length / 4];
    b.asFloatBuffer().get(f);
    return f;
  }
}
