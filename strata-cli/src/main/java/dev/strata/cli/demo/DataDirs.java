package dev.strata.cli.demo;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** File helpers for the demo's data directory. */
final class DataDirs {
  private DataDirs() {}

  /**
   * Takes {@code dir/demo.lock} for this process, so that a second demo over the same directory
   * stops at once with a clear message instead of fighting over the registry and the edges.
   */
  static AutoCloseable lock(Path dir) throws IOException {
    Files.createDirectories(dir);
    FileChannel channel =
        FileChannel.open(
            dir.resolve("demo.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException heldHere) {
      lock = null; // a demo in this same JVM holds it
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      channel.close();
      throw new StrataException(
          ErrorCode.FAILED_PRECONDITION,
          "another strata demo is using "
              + dir.toAbsolutePath()
              + " (stop it, or pick another --data-dir)");
    }
    FileLock held = lock;
    return () -> {
      held.release();
      channel.close();
    };
  }
}
