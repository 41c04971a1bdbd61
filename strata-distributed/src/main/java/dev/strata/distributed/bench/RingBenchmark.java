package dev.strata.distributed.bench;

import dev.strata.distributed.comm.Mesh;
import dev.strata.distributed.comm.RingAllReduce;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Ring all-reduce on loopback: N workers (threads of this JVM, each with its own mesh and TCP
 * connections) sum vectors of several sizes; prints the median and 90th percentile time per call
 * and the latency and bandwidth a straight line through the medians gives (the cost model's alpha
 * and beta in docs/distributed.md).
 *
 * <pre>java -cp ... dev.strata.distributed.bench.RingBenchmark [workers] [calls]</pre>
 */
public final class RingBenchmark {
  private RingBenchmark() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    int calls = args.length > 1 ? Integer.parseInt(args[1]) : 300;
    int[] sizes = {1_024, 104_426, 1_000_000, 11_689_512};
    List<Mesh> meshes = new ArrayList<>();
    InetAddress lo = InetAddress.getLoopbackAddress();
    for (int r = 0; r < n; r++) {
      meshes.add(Mesh.bind(r, "bench", lo));
    }
    for (int r = 0; r < n; r++) {
      meshes.get(r).connect((r + 1) % n, meshes.get((r + 1) % n).address(), Duration.ofSeconds(5));
    }
    ExecutorService pool = Executors.newFixedThreadPool(n);
    double[] medians = new double[sizes.length];
    try {
      for (int si = 0; si < sizes.length; si++) {
        int size = sizes[si];
        int k = size > 2_000_000 ? Math.max(10, calls / 20) : calls;
        CyclicBarrier start = new CyclicBarrier(n);
        List<Future<long[]>> fs = new ArrayList<>();
        for (int r = 0; r < n; r++) {
          Mesh mesh = meshes.get(r);
          fs.add(
              pool.submit(
                  () -> {
                    RingAllReduce ring = new RingAllReduce(mesh, n, Duration.ofSeconds(60));
                    float[] v = new float[size];
                    long[] t = new long[k];
                    for (int i = 0; i < k / 5 + 1; i++) {
                      ring.sumInPlace(v); // warm-up
                    }
                    for (int i = 0; i < k; i++) {
                      Arrays.fill(v, 1f);
                      start.await();
                      long t0 = System.nanoTime();
                      ring.sumInPlace(v);
                      t[i] = System.nanoTime() - t0;
                    }
                    if (v[0] != n || v[size - 1] != n) {
                      throw new IllegalStateException("wrong sum " + v[0]);
                    }
                    return t;
                  }));
        }
        long[] slowest = new long[k];
        for (Future<long[]> f : fs) {
          long[] t = f.get();
          for (int i = 0; i < k; i++) {
            slowest[i] = Math.max(slowest[i], t[i]);
          }
        }
        Arrays.sort(slowest);
        medians[si] = slowest[k / 2] / 1e6;
        System.out.printf(
            Locale.ROOT,
            "%d workers, %,d floats (%.2f MB): median %.3f ms, p90 %.3f ms over %d calls%n",
            n,
            size,
            size * 4 / 1e6,
            medians[si],
            slowest[(int) (k * 0.9)] / 1e6,
            k);
      }
    } finally {
      pool.shutdownNow();
      for (Mesh m : meshes) {
        m.close();
      }
    }
    // t = 2(n-1) alpha + 2(n-1)/n * bytes / bandwidth, through the smallest and largest sizes
    double f = 2.0 * (n - 1) / n;
    double b0 = 4.0 * sizes[0];
    double b1 = 4.0 * sizes[sizes.length - 1];
    double perByte = (medians[sizes.length - 1] - medians[0]) / 1e3 / (f * (b1 - b0));
    double alpha = (medians[0] / 1e3 - f * b0 * perByte) / (2.0 * (n - 1));
    System.out.printf(
        Locale.ROOT,
        "fit: alpha %.1f us per message, bandwidth %.2f Gbit/s per link%n",
        alpha * 1e6,
        8 / perByte / 1e9);
  }
}
