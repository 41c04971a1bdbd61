package dev.strata.cli.demo;

import static java.util.Objects.requireNonNull;

import java.io.PrintWriter;
import java.time.Clock;
import java.util.Locale;

/**
 * Progress of a counted job, safe to advance from many threads. On a terminal it is one line
 * rewritten at most every 200 ms; elsewhere (a log, a pipe, a test) one line per quarter done.
 */
final class Progress {
  private static final long REDRAW_MILLIS = 200;

  private final PrintWriter out;
  private final boolean terminal;
  private final String what;
  private final int total;
  private final Clock clock;
  private final long started;
  private int done;
  private long lastDrawn;
  private int lastQuarter;

  Progress(PrintWriter out, boolean terminal, String what, int total, Clock clock) {
    this.out = requireNonNull(out, "out");
    this.terminal = terminal;
    this.what = requireNonNull(what, "what");
    if (total < 1) {
      throw new IllegalArgumentException("total: " + total + " (expected: >= 1)");
    }
    this.total = total;
    this.clock = requireNonNull(clock, "clock");
    this.started = clock.millis();
    this.lastDrawn = started;
  }

  /** One more done. */
  synchronized void advance() {
    if (done == total) {
      return;
    }
    done++;
    long now = clock.millis();
    if (terminal) {
      if (done == total || now - lastDrawn >= REDRAW_MILLIS) {
        out.print("\r" + line(now) + (done == total ? "\n" : ""));
        out.flush();
        lastDrawn = now;
      }
    } else {
      int quarter = done * 4 / total;
      if (quarter > lastQuarter) {
        lastQuarter = quarter;
        out.println(line(now));
        out.flush();
      }
    }
  }

  synchronized int done() {
    return done;
  }

  private String line(long now) {
    double seconds = Math.max(1, now - started) / 1000.0;
    return String.format(
        Locale.ROOT,
        "  %s: %d/%d (%d%%), %.0f/s",
        what,
        done,
        total,
        done * 100 / total,
        done / seconds);
  }
}
