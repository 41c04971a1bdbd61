package dev.strata.distributed;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.train.training.DataParallel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The driver's tracking wrapper passes every call of a worker's exchange on to it. */
class TrackedTest {
  @Test
  void checkpointNoticesReachTheWrappedExchange(@TempDir Path out) {
    List<Long> noticed = new ArrayList<>();
    DataParallel inner =
        new DataParallel() {
          @Override
          public int rank() {
            return 0;
          }

          @Override
          public int workers() {
            return 2;
          }

          @Override
          public boolean start(float[] weights, long step) {
            return false;
          }

          @Override
          public Combined combine(float[] vector, long step, float learningRate) {
            return Combined.GRADIENTS;
          }

          @Override
          public double[] sum(double[] values) {
            return values;
          }

          @Override
          public int checkpointEvery() {
            return 10;
          }

          @Override
          public void checkpointed(long globalStep) {
            noticed.add(globalStep);
          }
        };
    Tracked tracked = new Tracked(inner, out, 0);
    tracked.checkpointed(10);
    tracked.checkpointed(20);
    // the parameter server keeps its optimizer state at these notices: a wrapper that dropped
    // them would reset the moments of every re-run on a cluster
    assertThat(noticed).containsExactly(10L, 20L);
    assertThat(tracked.checkpointEvery()).isEqualTo(10);
  }
}
