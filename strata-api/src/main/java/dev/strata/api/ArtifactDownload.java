package dev.strata.api;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@link CloudApiClient#downloadArtifact}: a {@code GET /api/v1/artifacts/{sha256}} streamed into a
 * partial file, resumed with {@code Range} from the bytes the file holds, and abandoned when the
 * body stops flowing for the client's timeout.
 */
final class ArtifactDownload {
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

  private final Transport http;
  private final String sha256;
  private final Path partial;
  private final long size;

  ArtifactDownload(Transport http, String sha256, Path partial, long size) {
    this.http = http;
    this.sha256 = sha256;
    this.partial = partial;
    this.size = size;
  }

  void run() throws IOException {
    long have = Files.exists(partial) ? Files.size(partial) : 0;
    if (have > size) {
      Files.delete(partial);
      have = 0;
    }
    if (have == size && size > 0) {
      return;
    }
    String path = "/api/v1/artifacts/" + sha256;
    HttpRequest.Builder b = http.request(path).header("Accept", "application/octet-stream").GET();
    if (have > 0) {
      b.header("Range", "bytes=" + have + "-");
    }
    HttpResponse<InputStream> response = http.stream(path, b.build());
    try (InputStream in = response.body()) {
      int status = response.statusCode();
      long offset;
      if (status == 206) {
        offset = rangeStart(response);
        if (offset != have) {
          throw new IOException(
              "artifact "
                  + sha256
                  + ": the server sent bytes from "
                  + offset
                  + " (asked: "
                  + have
                  + ")");
        }
      } else if (status == 200) {
        offset = 0;
      } else if (status == 416) {
        Files.deleteIfExists(partial);
        throw new IOException(
            "artifact " + sha256 + ": the partial file is past its end; restarting");
      } else {
        throw Transport.error("GET", path, status, in.readAllBytes());
      }
      copy(in, offset);
    }
  }

  /**
   * Copies the body into the partial file. A body that stops flowing for longer than the timeout (a
   * silent network partition) is abandoned: the stream is closed and the copying thread
   * interrupted, and what arrived is kept for the next attempt.
   */
  private void copy(InputStream in, long offset) throws IOException {
    Thread reader = Thread.currentThread();
    AtomicLong lastProgress = new AtomicLong(System.nanoTime());
    Object lock = new Object();
    boolean[] state = new boolean[2]; // [done, stalled], guarded by lock
    Duration timeout = http.timeout();
    long stallNanos = timeout.toNanos();
    ScheduledFuture<?> dog =
        http.watchdog()
            .every(
                Math.max(1, stallNanos / 4),
                () -> {
                  if (System.nanoTime() - lastProgress.get() <= stallNanos) {
                    return;
                  }
                  synchronized (lock) {
                    if (state[0] || state[1]) {
                      return;
                    }
                    state[1] = true;
                    try {
                      in.close();
                    } catch (IOException ignored) {
                      // the interrupt below ends the read either way
                    }
                    reader.interrupt();
                  }
                });
    try {
      write(in, offset, lastProgress);
    } catch (IOException e) {
      if (stalled(lock, state)) {
        throw new IOException(
            "artifact " + sha256 + ": no data for " + timeout + "; will resume", e);
      }
      throw e;
    } finally {
      dog.cancel(false);
      synchronized (lock) {
        state[0] = true;
      }
      if (stalled(lock, state)) {
        Thread.interrupted(); // the watchdog's interrupt is handled here
      }
    }
  }

  private static boolean stalled(Object lock, boolean[] state) {
    synchronized (lock) {
      return state[1];
    }
  }

  private long rangeStart(HttpResponse<?> response) throws IOException {
    String range = response.headers().firstValue("Content-Range").orElse("");
    Matcher m = CONTENT_RANGE.matcher(range);
    if (!m.matches()) {
      throw new IOException(
          "artifact "
              + sha256
              + ": 206 with Content-Range '"
              + range
              + "' (expected: bytes N-M/T)");
    }
    return Long.parseLong(m.group(1));
  }

  private void write(InputStream in, long offset, AtomicLong progress) throws IOException {
    try (FileChannel ch =
        FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      ch.truncate(offset);
      ch.position(offset);
      byte[] buf = new byte[64 * 1024];
      long written = offset;
      try {
        int n;
        while ((n = in.read(buf)) != -1) {
          if (written + n > size) {
            throw new IOException(
                "artifact " + sha256 + ": the server sent more than its " + size + " bytes");
          }
          ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
          while (bb.hasRemaining()) {
            ch.write(bb);
          }
          written += n;
          progress.set(System.nanoTime());
        }
      } finally {
        // what arrived stays, durably, for the next attempt to resume from
        if (ch.isOpen()) {
          ch.force(true);
        }
      }
      if (written != size) {
        throw new IOException(
            "artifact " + sha256 + ": the transfer ended at " + written + " of " + size + " bytes");
      }
    }
  }
}
