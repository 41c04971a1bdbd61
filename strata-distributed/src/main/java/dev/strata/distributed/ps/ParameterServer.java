package dev.strata.distributed.ps;

import dev.strata.distributed.comm.Mesh;
import dev.strata.train.spec.TrainingOptions;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The parameter server of a cluster run, on the driver: it holds the weights and the optimizer;
 * workers push their scaled gradients each step and pull the weights back.
 *
 * <ul>
 *   <li><b>Synchronous</b> (staleness 0): the server waits for every worker's gradient of a step,
 *       applies their sum once and sends all of them the new weights — the same update as ring
 *       all-reduce, computed in one place.
 *   <li><b>Asynchronous</b> with staleness bound K (stale synchronous parallel): each push is
 *       applied as it arrives (the worker's gradient at its share of the rate); a worker gets the
 *       current weights back at once unless it is more than K steps ahead of the slowest worker, in
 *       which case it waits until that one catches up.
 * </ul>
 *
 * <p>Frames carry the stage attempt in their tag's high half: when Spark re-runs the barrier stage,
 * the first frame of the new attempt resets the server to rank 0's weights (those of the checkpoint
 * the workers resumed from). The optimizer's state goes on from the same checkpoint: whenever rank
 * 0 writes one it tells the server, which keeps a copy of its optimizer's moments and step count at
 * that step (the last {@value #SNAPSHOTS}); a new attempt starting at a step it kept goes on from
 * that copy, one starting anywhere else (or with a server started afresh) from zero moments, as the
 * log says. (Synchronous: the copy is exactly the state after the checkpoint's step. Asynchronous:
 * it is the state when rank 0's notice arrived, which may include other workers' pushes since rank
 * 0 pulled the weights it checkpointed.)
 */
public final class ParameterServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ParameterServer.class);

  static final int START = 10;
  static final int GRAD = 11;
  static final int SUM = 12;
  static final int CHECKPOINT = 13;
  static final int WEIGHTS = 20;
  static final int SUMS = 21;

  private final Mesh mesh;
  private final int workers;
  private final int staleness;
  private final TrainingOptions.Optimizer optimizer;
  private final List<Thread> readers = new ArrayList<>();
  private volatile boolean running = true;

  // state of the current attempt, guarded by this
  private int attempt = -1;
  private float[] weights;
  private FlatOptimizer opt;
  private float[] sum;
  private int arrived;
  private final long[] clock;
  private final boolean[] parked;
  private final boolean[] waitingStart;
  private final Map<Long, double[]> sums = new HashMap<>();
  private final Map<Long, Integer> sumCounts = new HashMap<>();
  private long updates;

  /** Optimizer states kept at rank 0's checkpoints, by step (oldest first); across attempts. */
  private final java.util.LinkedHashMap<Long, FlatOptimizer> snapshots =
      new java.util.LinkedHashMap<>();

  static final int SNAPSHOTS = 3;

  /** Attempts that went on from a kept optimizer state (for tests and logs). */
  private int restored;

  private ParameterServer(
      String run, int workers, int staleness, TrainingOptions.Optimizer opt, InetAddress host) {
    this.mesh = Mesh.bind(workers, run, host);
    this.workers = workers;
    this.staleness = staleness;
    this.optimizer = opt;
    this.clock = new long[workers];
    this.parked = new boolean[workers];
    this.waitingStart = new boolean[workers];
    for (int r = 0; r < workers; r++) {
      int rank = r;
      mesh.name(r, "worker " + r);
      Thread t = Thread.ofPlatform().daemon().name("strata-ps-" + r).start(() -> read(rank));
      readers.add(t);
    }
  }

  /** Starts a server for {@code workers} workers of {@code run} on {@code host}. */
  public static ParameterServer start(
      String run, int workers, int staleness, TrainingOptions.Optimizer opt, InetAddress host) {
    return new ParameterServer(run, workers, staleness, opt, host);
  }

  /** The rank workers address the server as. */
  public int rank() {
    return workers;
  }

  public InetSocketAddress address() {
    return mesh.address();
  }

  public long bytesSent() {
    return mesh.bytesSent();
  }

  /** Updates applied so far. */
  public synchronized long updates() {
    return updates;
  }

  static long tag(int attempt, long counter) {
    return ((long) attempt << 32) | (counter & 0xffffffffL);
  }

  private void read(int rank) {
    float[] scratch = null;
    while (running) {
      Mesh.Frame f;
      try {
        f = mesh.receive(rank, Duration.ofSeconds(1));
      } catch (RuntimeException e) {
        // no frame yet, or the worker went away (Spark re-runs it and it reconnects)
        if (running && !e.getMessage().startsWith("no message")) {
          sleep();
        }
        continue;
      }
      try (f) {
        int a = (int) (f.tag() >>> 32);
        long counter = f.tag() & 0xffffffffL;
        synchronized (this) {
          if (a < attempt) {
            continue; // a frame of an attempt Spark has given up on
          }
          if (a > attempt) {
            reset(a);
          }
          switch (f.kind()) {
            case START -> {
              if (rank == 0) {
                weights = new float[f.floats()];
                f.floatsInto(weights, 0, false);
                opt = optimizerAt(counter, weights.length);
                sum = new float[weights.length];
                java.util.Arrays.fill(clock, counter);
                for (int r = 0; r < workers; r++) {
                  if (waitingStart[r]) {
                    waitingStart[r] = false;
                    mesh.send(r, WEIGHTS, tag(a, counter), weights, 0, weights.length);
                  }
                }
                mesh.send(0, WEIGHTS, tag(a, counter), weights, 0, weights.length);
              } else if (weights == null) {
                waitingStart[rank] = true;
              } else {
                mesh.send(rank, WEIGHTS, tag(a, counter), weights, 0, weights.length);
              }
            }
            case GRAD -> {
              if (scratch == null || scratch.length != f.floats()) {
                scratch = new float[f.floats()];
              }
              f.floatsInto(scratch, 0, false);
              push(rank, counter, scratch);
            }
            case SUM -> {
              ByteBuffer b = ByteBuffer.wrap(f.bytes());
              double[] acc = sums.computeIfAbsent(counter, k -> new double[b.remaining() / 8]);
              for (int i = 0; i < acc.length; i++) {
                acc[i] += b.getDouble();
              }
              int got = sumCounts.merge(counter, 1, Integer::sum);
              if (got == workers) {
                ByteBuffer out = ByteBuffer.allocate(8 * acc.length);
                for (double d : acc) {
                  out.putDouble(d);
                }
                for (int r = 0; r < workers; r++) {
                  mesh.send(r, SUMS, tag(a, counter), out.array());
                }
                sums.remove(counter);
                sumCounts.remove(counter);
              }
            }
            case CHECKPOINT -> {
              if (rank == 0 && opt != null) {
                snapshots.remove(counter);
                snapshots.put(counter, opt.copy());
                while (snapshots.size() > SNAPSHOTS) {
                  snapshots.remove(snapshots.keySet().iterator().next());
                }
              }
            }
            default ->
                log.warn("parameter server: unknown frame kind {} from worker {}", f.kind(), rank);
          }
        }
      } catch (RuntimeException e) {
        log.warn("parameter server: frame from worker {} failed: {}", rank, e.getMessage());
      }
    }
  }

  /** The optimizer for a start at {@code step}: the state kept there, or a fresh one. */
  private FlatOptimizer optimizerAt(long step, int size) {
    FlatOptimizer kept = snapshots.get(step);
    if (kept != null && kept.size() == size) {
      if (attempt > 0) {
        log.info("parameter server: the optimizer goes on from its state at step {}", step);
      }
      restored += attempt > 0 ? 1 : 0;
      return kept.copy();
    }
    if (step > 0) {
      log.warn(
          "parameter server: no optimizer state kept at step {} (where the workers start); its"
              + " moments start from zero",
          step);
    }
    return new FlatOptimizer(optimizer, size);
  }

  /** Attempts after the first that went on from a kept optimizer state. */
  public synchronized int restoredAttempts() {
    return restored;
  }

  private void reset(int a) {
    if (attempt >= 0) {
      log.info(
          "parameter server: stage attempt {} starts; state of attempt {} dropped", a, attempt);
    }
    attempt = a;
    weights = null;
    opt = null;
    arrived = 0;
    java.util.Arrays.fill(parked, false);
    java.util.Arrays.fill(waitingStart, false);
    sums.clear();
    sumCounts.clear();
  }

  /** {@code g} is [rate, scaled gradient...]; {@code step} the worker's step number. */
  private void push(int rank, long step, float[] g) {
    if (weights == null || g.length != weights.length + 1) {
      throw new IllegalStateException(
          "gradient of " + (g.length - 1) + " values before the start or of the wrong size");
    }
    float lr = g[0];
    if (staleness == 0) {
      for (int i = 0; i < weights.length; i++) {
        sum[i] += g[i + 1];
      }
      if (++arrived < workers) {
        return;
      }
      opt.step(weights, sum, 0, lr);
      updates++;
      java.util.Arrays.fill(sum, 0f);
      arrived = 0;
      for (int r = 0; r < workers; r++) {
        mesh.send(r, WEIGHTS, tag(attempt, step), weights, 0, weights.length);
      }
      return;
    }
    // asynchronous: this worker's gradient (its share of a step) applied on its own, as a full
    // gradient at the share of the rate
    for (int i = 1; i < g.length; i++) {
      g[i] *= workers;
    }
    opt.step(weights, g, 1, lr / workers);
    updates++;
    clock[rank] = step;
    parked[rank] = true;
    long slowest = Long.MAX_VALUE;
    for (long c : clock) {
      slowest = Math.min(slowest, c);
    }
    for (int r = 0; r < workers; r++) {
      if (parked[r] && clock[r] - slowest <= staleness) {
        parked[r] = false;
        mesh.send(r, WEIGHTS, tag(attempt, clock[r]), weights, 0, weights.length);
      }
    }
  }

  private static void sleep() {
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    running = false;
    for (Thread t : readers) {
      try {
        t.join(3000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    mesh.close();
  }
}
