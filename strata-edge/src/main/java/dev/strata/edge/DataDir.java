package dev.strata.edge;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The agent's data directory, held under an exclusive lock while an agent runs:
 *
 * <pre>
 * agent.lock                    held while an agent uses the directory
 * node.json                     identity and credential (mode 0600)
 * state/applied.json            the models being served, with their deployments and policies
 * state/desired.json            the last desired state received from the cloud
 * artifacts/&lt;sha256&gt;            verified artifacts
 * artifacts/&lt;sha256&gt;.partial    downloads in progress, resumed from their length
 * models/                       the runtime's model repository, written only by its installer
 * telemetry/records.log         telemetry records not yet acknowledged by the cloud
 * telemetry/acked               the last acknowledged record's sequence number
 * </pre>
 *
 * Every file the agent writes here states its format version ({@link FileFormat}).
 */
final class DataDir implements AutoCloseable {
  private final Path root;
  private final FileChannel lockChannel;
  private final FileLock lock;

  private DataDir(Path root, FileChannel lockChannel, FileLock lock) {
    this.root = root;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /**
   * Creates what is missing (directories private to the user) and takes the lock.
   *
   * @throws StrataException FAILED_PRECONDITION when another agent holds the directory
   */
  static DataDir open(Path dir) {
    Path root = dir.toAbsolutePath().normalize();
    try {
      createPrivate(root);
      for (String sub : new String[] {"state", "artifacts", "models", "telemetry"}) {
        createPrivate(root.resolve(sub));
      }
      FileChannel ch =
          FileChannel.open(
              root.resolve("agent.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        ch.close();
        throw new StrataException(
            ErrorCode.FAILED_PRECONDITION,
            "data directory " + root + " is in use by another edge agent");
      }
      return new DataDir(root, ch, lock);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the data directory " + root, e);
    }
  }

  private static void createPrivate(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
      Files.createDirectories(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } else {
      Files.createDirectories(dir);
    }
  }

  Path root() {
    return root;
  }

  /** The bearer tokens the inference API accepts with {@code --inference-auth}. */
  Path inferenceTokens() {
    return root.resolve("inference-tokens");
  }

  Path identity() {
    return root.resolve("node.json");
  }

  Path applied() {
    return root.resolve("state").resolve("applied.json");
  }

  Path desired() {
    return root.resolve("state").resolve("desired.json");
  }

  Path artifacts() {
    return root.resolve("artifacts");
  }

  Path models() {
    return root.resolve("models");
  }

  Path telemetry() {
    return root.resolve("telemetry");
  }

  @Override
  public void close() {
    try {
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot release the lock of " + root, e);
    }
  }
}
