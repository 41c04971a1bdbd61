package dev.strata.train.training;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar on the terminal, redrawn in place: epoch, step, loss, accuracy, images
 * per second and the time left in the epoch. When the output is not a terminal it prints one line
 * per epoch instead, so logs stay readable.
 */
public final class ProgressBar implements TrainingListener {
  private static final int WIDTH = 24;

  private final PrintStream out;
  private final boolean interactive;
  private long lastDraw;

  public ProgressBar(PrintStream out, boolean interactive) {
    this.out = out;
    this.interactive = interactive;
  }

  /** A bar on standard error, redrawn in place when a console is attached. */
  public static ProgressBar onStderr() {
    return new ProgressBar(System.err, System.console() != null);
  }

  @Override
  public void onStep(
      int epoch,
      int epochs,
      int step,
      int steps,
      double loss,
      double accuracy,
      double sps,
      double eta) {
    if (!interactive) {
      return;
    }
    long now = System.nanoTime();
    if (step != steps && now - lastDraw < 100_000_000L) {
      return;
    }
    lastDraw = now;
    int filled = (int) ((long) WIDTH * step / steps);
    String bar =
        "=".repeat(filled)
            + (filled < WIDTH ? ">" : "")
            + " ".repeat(Math.max(0, WIDTH - filled - 1));
    out.print(
        String.format(
            Locale.ROOT,
            "\repoch %d/%d [%s] %d/%d loss %.4f acc %.4f %,.0f img/s ETA %s   ",
            epoch,
            epochs,
            bar,
            step,
            steps,
            loss,
            accuracy,
            sps,
            duration(eta)));
    out.flush();
  }

  @Override
  public void onEpoch(EpochStats s) {
    if (interactive) {
      out.print("\r");
    }
    out.println(
        String.format(
            Locale.ROOT,
            "epoch %d: loss %.4f acc %.4f | val loss %.4f acc %.4f | lr %.2e | %.1f s, %,.0f img/s",
            s.epoch(),
            s.trainLoss(),
            s.trainAccuracy(),
            s.validationLoss(),
            s.validationAccuracy(),
            s.learningRate(),
            s.seconds(),
            s.samplesPerSecond()));
  }

  static String duration(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600
        ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
        : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }
}
