package dev.strata.cloud;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A request body whose reads end after {@code timeout} without a byte: a client that stops sending
 * half-way cannot hold a handler, its thread and a half-written {@code .part} file forever. On
 * timeout the underlying stream is closed, which wakes the blocked read; the read then fails with
 * INVALID_ARGUMENT saying how much arrived. Only time spent waiting in a read counts, not the
 * handler's own work between reads. The timer is armed at the first read that may have to wait
 * (nothing buffered), so a body that has arrived whole by the time it is read costs no timer.
 */
final class TimedBody extends InputStream {
  private final InputStream in;
  private final long timeoutNanos;
  private final Duration timeout;
  private volatile long readingSince; // 0 while not in a read
  private volatile boolean done;
  private volatile boolean timedOut;
  private boolean armed;
  private long received;

  TimedBody(InputStream in, Duration timeout) {
    this.in = requireNonNull(in, "in");
    this.timeout = requireNonNull(timeout, "timeout");
    this.timeoutNanos = timeout.toNanos();
  }

  private void schedule(long nanos) {
    // JDK's shared delayer thread; the check is cheap and never blocks.
    CompletableFuture.delayedExecutor(nanos, TimeUnit.NANOSECONDS, Runnable::run)
        .execute(this::check);
  }

  private void check() {
    if (done) {
      return;
    }
    long since = readingSince;
    long idle = since == 0 ? 0 : System.nanoTime() - since;
    if (since != 0 && idle >= timeoutNanos) {
      timedOut = true;
      try {
        in.close();
      } catch (IOException ignored) {
        // the read it wakes reports the timeout
      }
      return;
    }
    schedule(timeoutNanos - idle);
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (timedOut) {
      throw stalled();
    }
    if (!armed && !done && in.available() == 0) {
      armed = true;
      schedule(timeoutNanos);
    }
    readingSince = System.nanoTime() | 1; // never 0
    try {
      int n = in.read(b, off, len);
      if (n < 0) {
        done = true;
      } else {
        received += n;
      }
      return n;
    } catch (IOException e) {
      if (timedOut) {
        throw stalled();
      }
      throw e;
    } finally {
      readingSince = 0;
    }
  }

  private StrataException stalled() {
    return StrataException.invalid(
        "request body: nothing received for %s after %d bytes (expected: the whole body, without"
            + " pauses that long)",
        timeout, received);
  }

  @Override
  public int available() throws IOException {
    return in.available();
  }

  @Override
  public void close() throws IOException {
    done = true;
    in.close();
  }
}
