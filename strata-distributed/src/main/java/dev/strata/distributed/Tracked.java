package dev.strata.distributed;

import static java.util.Objects.requireNonNull;

import dev.strata.train.training.DataParallel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wraps a worker's {@link DataParallel} with what the driver reports: the time spent exchanging,
 * the steps run, and — on rank 0 — the progress of the run, so that an attempt Spark re-runs can
 * say how many steps past the checkpoint it repeats ({@code cluster-events.jsonl}).
 */
final class Tracked implements DataParallel {
  private static final Logger log = LoggerFactory.getLogger(Tracked.class);

  static final String PROGRESS = "cluster-progress";
  static final String EVENTS = "cluster-events.jsonl";

  private final DataParallel inner;
  private final Path out;
  private final int attempt;
  private long nanosExchange;
  private long firstStep = -1;
  private long lastStep;
  private long repeated;

  Tracked(DataParallel inner, Path out, int attempt) {
    this.inner = requireNonNull(inner, "inner");
    this.out = requireNonNull(out, "out");
    this.attempt = attempt;
  }

  @Override
  public int rank() {
    return inner.rank();
  }

  @Override
  public int workers() {
    return inner.workers();
  }

  @Override
  public boolean start(float[] weights, long step) {
    firstStep = step;
    lastStep = step;
    if (rank() == 0) {
      noteResume(step);
    }
    long t = System.nanoTime();
    try {
      return inner.start(weights, step);
    } finally {
      nanosExchange += System.nanoTime() - t;
    }
  }

  private void noteResume(long step) {
    Path p = out.resolve(PROGRESS);
    try {
      if (!Files.exists(p)) {
        return;
      }
      String[] s = Files.readString(p, StandardCharsets.UTF_8).trim().split(" ");
      int earlier = Integer.parseInt(s[0]);
      long reached = Long.parseLong(s[1]);
      repeated = Math.max(0, reached - step);
      log.warn(
          "stage attempt {} resumes from the checkpoint at step {}; attempt {} had reached step"
              + " {}, so {} steps are repeated",
          attempt,
          step,
          earlier,
          reached,
          repeated);
      String line =
          String.format(
              Locale.ROOT,
              "{\"attempt\":%d,\"resumedAtStep\":%d,\"earlierAttempt\":%d,\"reachedStep\":%d,"
                  + "\"repeatedSteps\":%d}%n",
              attempt,
              step,
              earlier,
              reached,
              repeated);
      Files.writeString(
          out.resolve(EVENTS),
          line,
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException | RuntimeException e) {
      log.warn("cannot read the run's progress {}: {}", p, e.toString());
    }
  }

  @Override
  public Combined combine(float[] vector, long step, float learningRate) {
    long t = System.nanoTime();
    try {
      return inner.combine(vector, step, learningRate);
    } finally {
      nanosExchange += System.nanoTime() - t;
    }
  }

  @Override
  public double[] sum(double[] values) {
    long t = System.nanoTime();
    try {
      return inner.sum(values);
    } finally {
      nanosExchange += System.nanoTime() - t;
    }
  }

  @Override
  public int checkpointEvery() {
    return inner.checkpointEvery();
  }

  @Override
  public void checkpointed(long globalStep) {
    inner.checkpointed(globalStep);
  }

  @Override
  public void afterStep(int epoch, int stepsDone, long globalStep) {
    lastStep = globalStep;
    inner.afterStep(epoch, stepsDone, globalStep);
    if (rank() == 0) {
      // a plain rename, not forced to disk: it only has to survive a lost executor, not a lost
      // machine, and is written every step
      try {
        Path tmp = out.resolve(PROGRESS + ".tmp");
        Files.writeString(tmp, attempt + " " + globalStep, StandardCharsets.UTF_8);
        Files.move(
            tmp,
            out.resolve(PROGRESS),
            StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  long steps() {
    return firstStep < 0 ? 0 : lastStep - firstStep;
  }

  double secondsExchange() {
    return nanosExchange / 1e9;
  }

  long repeatedSteps() {
    return repeated;
  }

  static void clear(Path out) throws IOException {
    Files.deleteIfExists(out.resolve(PROGRESS));
    Files.deleteIfExists(out.resolve(EVENTS));
  }
}
