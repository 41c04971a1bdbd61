package dev.strata.distributed.ps;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import dev.strata.distributed.comm.Mesh;
import dev.strata.train.training.DataParallel;
import java.nio.ByteBuffer;
import java.time.Duration;

/**
 * A worker of a parameter-server run: it pushes each step's scaled gradients (with the schedule's
 * rate) to the server and trains on the weights the server sends back.
 */
public final class ServerParallel implements DataParallel {
  private final Mesh mesh;
  private final int server;
  private final int workers;
  private final int attempt;
  private final int checkpointEvery;
  private final Duration timeout;
  private float[] scratch;
  private long sums;

  /**
   * @param mesh this worker's mesh, connected to the server (whose rank is {@code workers})
   * @param attempt Spark's stage attempt, so the server tells attempts apart
   */
  public ServerParallel(
      Mesh mesh, int workers, int attempt, int checkpointEvery, Duration stepTimeout) {
    this.mesh = requireNonNull(mesh, "mesh");
    this.server = workers;
    this.workers = workers;
    this.attempt = attempt;
    this.checkpointEvery = checkpointEvery;
    this.timeout = requireNonNull(stepTimeout, "stepTimeout");
  }

  @Override
  public int rank() {
    return mesh.rank();
  }

  @Override
  public int workers() {
    return workers;
  }

  @Override
  public boolean start(float[] weights, long step) {
    mesh.send(
        server,
        ParameterServer.START,
        ParameterServer.tag(attempt, step),
        weights,
        0,
        weights.length);
    receiveWeights(weights, step);
    return true;
  }

  @Override
  public Combined combine(float[] vector, long step, float learningRate) {
    if (scratch == null || scratch.length != vector.length + 1) {
      scratch = new float[vector.length + 1];
    }
    scratch[0] = learningRate;
    System.arraycopy(vector, 0, scratch, 1, vector.length);
    mesh.send(
        server,
        ParameterServer.GRAD,
        ParameterServer.tag(attempt, step),
        scratch,
        0,
        scratch.length);
    receiveWeights(vector, step);
    return Combined.WEIGHTS;
  }

  private void receiveWeights(float[] into, long step) {
    try (Mesh.Frame f = mesh.receive(server, timeout)) {
      if (f.kind() != ParameterServer.WEIGHTS || f.floats() != into.length) {
        throw StrataException.unavailable(
            "parameter server: frame kind %d of %d values where the weights (%d) were expected",
            f.kind(), f.floats(), into.length);
      }
      f.floatsInto(into, 0, false);
    }
  }

  @Override
  public double[] sum(double[] values) {
    ByteBuffer b = ByteBuffer.allocate(8 * values.length);
    for (double v : values) {
      b.putDouble(v);
    }
    long seq = sums++;
    mesh.send(server, ParameterServer.SUM, ParameterServer.tag(attempt, seq), b.array());
    try (Mesh.Frame f = mesh.receive(server, timeout)) {
      if (f.kind() != ParameterServer.SUMS) {
        throw StrataException.unavailable(
            "parameter server: frame kind %d where the sums were expected", f.kind());
      }
      ByteBuffer in = ByteBuffer.wrap(f.bytes());
      double[] out = new double[values.length];
      for (int i = 0; i < out.length; i++) {
        out[i] = in.getDouble();
      }
      return out;
    }
  }

  @Override
  public int checkpointEvery() {
    return checkpointEvery;
  }

  @Override
  public void checkpointed(long globalStep) {
    if (rank() == 0) {
      mesh.send(
          server,
          ParameterServer.CHECKPOINT,
          ParameterServer.tag(attempt, globalStep),
          new byte[0]);
    }
  }
}
