package dev.strata.train.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.train.TestSupport;
import dev.strata.train.data.DataSources;
import dev.strata.train.data.PreparedData;
import dev.strata.train.spec.TrainingSpec;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ModelTrainer's data-parallel path with an in-memory exchange (threads of one JVM, as Spark's
 * local[N] runs them): N workers of batch B give the weights of one worker with batch N·B.
 */
class DataParallelTest {
  private static final String MLP =
      """
      - {type: flatten}
      - {type: linear, units: 32}
      - {type: relu}
      - {type: linear, units: 10}
      """;

  @Test
  void twoWorkersOfBatchBEqualOneWorkerOfBatch2B(@TempDir Path dir) throws Exception {
    String training =
        """
        epochs: 2
        batch_size: %d
        seed: 5
        optimizer: {type: sgd, learning_rate: 0.05, momentum: 0.9}
        """;
    // 1,800 training samples: 29 steps of 64 per epoch (the last one 8 samples: workers 0 and 1
    // get 8 and 0), 58 steps in all
    TrainingSpec big = TestSupport.spec(TestSupport.imageSpec(MLP, training.formatted(64)));
    TrainingSpec small = TestSupport.spec(TestSupport.imageSpec(MLP, training.formatted(32)));
    PreparedData data = PreparedData.prepare(big, DataSources.load(TestSupport.SUBSET, big));
    ModelTrainer trainer =
        new ModelTrainer(TestSupport.CONFIG, Clock.systemUTC(), new TrainingListener() {});
    float[] single;
    try (TrainedModel m = trainer.train(big, data, dir.resolve("one"), Optional.empty())) {
      single = floats(m.parameters());
    }
    InMemory exchange = new InMemory(2);
    List<float[]> results = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<float[]>> futures = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        int rank = r;
        futures.add(
            pool.submit(
                () -> {
                  try (TrainedModel m =
                      trainer.trainParallel(
                          small, data, dir.resolve("two"), exchange.worker(rank))) {
                    return floats(m.parameters());
                  }
                }));
      }
      for (Future<float[]> f : futures) {
        results.add(f.get());
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(results.get(0)).containsExactly(results.get(1));
    assertThat(relativeDifference(results.get(0), single)).isLessThan(1e-5);
    // every step of both epochs went through the exchange, on both workers
    assertThat(exchange.calls).isEqualTo(2 * 58);
  }

  /** {@code ‖a − b‖ / ‖b‖}. */
  static double relativeDifference(float[] a, float[] b) {
    assertThat(a).hasSameSizeAs(b);
    double d = 0;
    double n = 0;
    for (int i = 0; i < a.length; i++) {
      d += (double) (a[i] - b[i]) * (a[i] - b[i]);
      n += (double) b[i] * b[i];
    }
    return Math.sqrt(d / n);
  }

  /** The float payload of DJL's parameter file, as a comparable vector (headers included). */
  private static float[] floats(byte[] params) {
    ByteBuffer b = ByteBuffer.wrap(params);
    float[] f = new float[params.length / 4];
    for (int i = 0; i < f.length; i++) {
      f[i] = b.getFloat(4 * i);
    }
    return f;
  }

  /** A sum over threads with a barrier: the smallest correct exchange. */
  private static final class InMemory {
    private final int n;
    private final CyclicBarrier barrier;
    private final float[][] parts;
    private volatile float[] sum;
    private int calls;

    InMemory(int n) {
      this.n = n;
      this.parts = new float[n][];
      this.barrier =
          new CyclicBarrier(
              n,
              () -> {
                float[] s = new float[parts[0].length];
                for (float[] p : parts) {
                  for (int i = 0; i < s.length; i++) {
                    s[i] += p[i];
                  }
                }
                sum = s;
              });
    }

    DataParallel worker(int rank) {
      return new DataParallel() {
        @Override
        public int rank() {
          return rank;
        }

        @Override
        public int workers() {
          return n;
        }

        @Override
        public boolean start(float[] weights, long step) {
          return false;
        }

        @Override
        public Combined combine(float[] vector, long step, float learningRate) {
          synchronized (InMemory.this) {
            calls++;
          }
          float[] s = all(vector);
          System.arraycopy(s, 0, vector, 0, s.length);
          return Combined.GRADIENTS;
        }

        @Override
        public double[] sum(double[] values) {
          float[] v = new float[values.length];
          for (int i = 0; i < v.length; i++) {
            v[i] = (float) values[i];
          }
          float[] s = all(v);
          double[] out = new double[s.length];
          for (int i = 0; i < s.length; i++) {
            out[i] = s[i];
          }
          return out;
        }

        private float[] all(float[] mine) {
          parts[rank] = mine.clone();
          try {
            barrier.await();
            float[] s = sum;
            barrier.await();
            return s;
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }

        @Override
        public int checkpointEvery() {
          return 0;
        }
      };
    }
  }
}
