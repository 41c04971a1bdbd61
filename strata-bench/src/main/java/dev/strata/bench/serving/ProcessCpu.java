package dev.strata.bench.serving;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time a process has used (user + system, all threads), from {@code /proc/<pid>/stat}. On a
 * shared, noisy machine CPU time per request is a steadier measure of a server's cost than wall
 * throughput: other processes on the core slow the server down but do not add to its CPU time.
 */
final class ProcessCpu {
  /** Linux reports stat times in clock ticks of 1/100 s on every common configuration. */
  private static final long TICK_NANOS = 10_000_000L;

  private final Path stat;

  ProcessCpu(long pid) {
    this.stat = Path.of("/proc", Long.toString(pid), "stat");
  }

  /** User plus system CPU time in nanoseconds. */
  long nanos() {
    try {
      String s = Files.readString(stat);
      // Fields after the command name (which may contain spaces) start after the last ')'.
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
      long utime = Long.parseLong(f[11]);
      long stime = Long.parseLong(f[12]);
      return (utime + stime) * TICK_NANOS;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
