package dev.strata.distributed.comm;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import java.time.Duration;

/**
 * Ring all-reduce (as in Horovod and NCCL): each of the {@code n} workers sends only to the next
 * and receives only from the previous one. The vector is cut into {@code n} chunks; in the
 * reduce-scatter phase each chunk travels once around the ring gathering every worker's values, in
 * the all-gather phase the finished chunks travel around once more. Each worker sends {@code 2 (n -
 * 1) / n} of the vector per call, whatever {@code n}: bandwidth-optimal.
 *
 * <p>Tags carry the call number, phase and chunk, so a message out of order (a bug, or a peer from
 * an earlier call) fails loudly instead of being summed into the wrong place.
 */
public final class RingAllReduce {
  static final int KIND = 1;

  private final Mesh mesh;
  private final int rank;
  private final int n;
  private final Duration timeout;
  private long calls;

  /** Over {@code mesh}, already connected to the next worker ({@code (rank + 1) % n}). */
  public RingAllReduce(Mesh mesh, int workers, Duration stepTimeout) {
    this.mesh = requireNonNull(mesh, "mesh");
    this.rank = mesh.rank();
    this.n = workers;
    this.timeout = requireNonNull(stepTimeout, "stepTimeout");
    if (rank < 0 || rank >= workers) {
      throw new IllegalArgumentException("rank " + rank + " of " + workers);
    }
  }

  public int workers() {
    return n;
  }

  /** Replaces {@code v} on every worker with the element-wise sum of all workers' {@code v}. */
  public void sumInPlace(float[] v) {
    long call = calls++;
    if (n == 1) {
      return;
    }
    int next = (rank + 1) % n;
    int prev = (rank - 1 + n) % n;
    for (int s = 0; s < n - 1; s++) {
      int send = Math.floorMod(rank - s, n);
      int recv = Math.floorMod(rank - s - 1, n);
      mesh.send(next, KIND, tag(call, 0, s), v, from(send, v.length), size(send, v.length));
      take(prev, tag(call, 0, s), v, recv, true);
    }
    for (int s = 0; s < n - 1; s++) {
      int send = Math.floorMod(rank + 1 - s, n);
      int recv = Math.floorMod(rank - s, n);
      mesh.send(next, KIND, tag(call, 1, s), v, from(send, v.length), size(send, v.length));
      take(prev, tag(call, 1, s), v, recv, false);
    }
  }

  /** {@link #sumInPlace} for a few doubles (statistics: losses, counts), as floats pairs. */
  public double[] sum(double[] values) {
    // each double as a float and its float remainder: exact enough for sums of counts and losses
    float[] v = new float[2 * values.length];
    for (int i = 0; i < values.length; i++) {
      v[2 * i] = (float) values[i];
      v[2 * i + 1] = (float) (values[i] - (float) values[i]);
    }
    sumInPlace(v);
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (double) v[2 * i] + v[2 * i + 1];
    }
    return out;
  }

  private void take(int prev, long expected, float[] v, int chunk, boolean add) {
    try (Mesh.Frame f = mesh.receive(prev, timeout)) {
      if (f.kind() != KIND || f.tag() != expected || f.floats() != size(chunk, v.length)) {
        throw StrataException.internal(
            String.format(
                "all-reduce out of step: got kind %d tag %x with %d floats from the previous"
                    + " worker (expected: tag %x with %d)",
                f.kind(), f.tag(), f.floats(), expected, size(chunk, v.length)),
            null);
      }
      f.floatsInto(v, from(chunk, v.length), add);
    }
  }

  private static long tag(long call, int phase, int step) {
    return (call << 24) | ((long) phase << 20) | step;
  }

  private int from(int chunk, int length) {
    return (int) ((long) length * chunk / n);
  }

  private int size(int chunk, int length) {
    return from(chunk + 1, length) - from(chunk, length);
  }
}
