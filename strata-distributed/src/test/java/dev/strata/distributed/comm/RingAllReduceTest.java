package dev.strata.distributed.comm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.StrataException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class RingAllReduceTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  /** Meshes of one session on loopback, each connected to the next. */
  static List<Mesh> ring(int n, String session) {
    List<Mesh> m = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      m.add(Mesh.bind(r, session, InetAddress.getLoopbackAddress()));
    }
    if (n > 1) {
      for (int r = 0; r < n; r++) {
        m.get(r).connect((r + 1) % n, m.get((r + 1) % n).address(), TIMEOUT);
      }
    }
    return m;
  }

  @Test
  void everyWorkerGetsTheSumForAnyLengthAndWorkerCount() throws Exception {
    for (int n : new int[] {1, 2, 3, 5}) {
      for (int length : new int[] {1, 4, 7, 104_938}) {
        List<Mesh> meshes = ring(n, "sum-" + n + "-" + length);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
          float[][] inputs = new float[n][length];
          double[] expected = new double[length];
          Random rnd = new Random(n * 31L + length);
          for (int r = 0; r < n; r++) {
            for (int i = 0; i < length; i++) {
              inputs[r][i] = (float) rnd.nextGaussian();
              expected[i] += inputs[r][i];
            }
          }
          List<Future<float[]>> out = new ArrayList<>();
          for (int r = 0; r < n; r++) {
            int rank = r;
            out.add(
                pool.submit(
                    () -> {
                      RingAllReduce ring = new RingAllReduce(meshes.get(rank), n, TIMEOUT);
                      float[] v = inputs[rank].clone();
                      // twice: the second call's tags must not be confused with the first's
                      ring.sumInPlace(v);
                      float[] w = inputs[rank].clone();
                      ring.sumInPlace(w);
                      assertThat(w).containsExactly(v);
                      return v;
                    }));
          }
          float[] first = out.get(0).get();
          for (Future<float[]> f : out) {
            // the same floats on every worker (each chunk is summed once, then copied)
            assertThat(f.get()).containsExactly(first);
          }
          for (int i = 0; i < length; i++) {
            assertThat((double) first[i])
                .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-4));
          }
          if (n > 1) {
            // each worker sends 2(n-1)/n of the vector, plus headers
            long payload = 4L * length * 2 * (n - 1) / n;
            for (Mesh m : meshes) {
              assertThat(m.bytesSent())
                  .isBetween(2 * payload - 4L * 2 * n, 2 * payload + 2 * 2 * n * 32L);
            }
          }
        } finally {
          pool.shutdownNow();
          meshes.forEach(Mesh::close);
        }
      }
    }
  }

  @Test
  void aStalledWorkerFailsTheStepNamingIt() {
    List<Mesh> meshes = ring(2, "stall");
    try {
      meshes.get(0).name(1, "worker 1 at host-b");
      RingAllReduce ring = new RingAllReduce(meshes.get(0), 2, Duration.ofMillis(300));
      // worker 1 never calls: worker 0 waits one step timeout, then fails naming it
      assertThatThrownBy(() -> ring.sumInPlace(new float[8]))
          .isInstanceOf(StrataException.class)
          .hasMessageContaining("worker 1 at host-b")
          .hasMessageContaining("step timeout");
    } finally {
      meshes.forEach(Mesh::close);
    }
  }

  @Test
  void aWorkerThatGoesAwayFailsTheStepAtOnce() {
    List<Mesh> meshes = ring(2, "gone");
    try {
      meshes.get(0).name(1, "worker 1");
      meshes.get(1).close();
      RingAllReduce ring = new RingAllReduce(meshes.get(0), 2, Duration.ofSeconds(30));
      long t = System.nanoTime();
      assertThatThrownBy(() -> ring.sumInPlace(new float[8]))
          .isInstanceOf(StrataException.class)
          .hasMessageContaining("worker 1");
      assertThat(Duration.ofNanos(System.nanoTime() - t)).isLessThan(Duration.ofSeconds(10));
    } finally {
      meshes.get(0).close();
    }
  }

  @Test
  void aMemberOfAnotherSessionIsRefused() throws Exception {
    Mesh current = Mesh.bind(1, "job/attempt-1", InetAddress.getLoopbackAddress());
    Mesh stale = Mesh.bind(0, "job/attempt-0", InetAddress.getLoopbackAddress());
    try {
      stale.connect(1, current.address(), TIMEOUT);
      try {
        stale.send(1, RingAllReduce.KIND, 0, new float[] {1, 2}, 0, 2);
      } catch (StrataException e) {
        // the current attempt may already have closed the refused connection
        assertThat(e).hasMessageContaining("no connection to rank 1");
      }
      // the stale attempt's frames never reach the current one's inbox
      assertThatThrownBy(() -> current.receive(0, Duration.ofMillis(500)))
          .isInstanceOf(StrataException.class);
    } finally {
      stale.close();
      current.close();
    }
  }
}
