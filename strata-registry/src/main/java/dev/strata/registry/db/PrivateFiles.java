package dev.strata.registry.db;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Directories and files only their owner may read, as the cloud creates its data directory (0700)
 * and database (0600), like the edge: they hold credential hashes and the signing key. What exists
 * already keeps its permissions (an operator may have chosen them).
 */
public final class PrivateFiles {
  private static final boolean POSIX =
      FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

  private PrivateFiles() {}

  /** Creates {@code dir} (and missing parents) as 0700 when it does not exist. */
  public static Path createDirectories(Path dir) {
    try {
      if (!Files.isDirectory(dir)) {
        if (POSIX) {
          Files.createDirectories(dir, attribute("rwx------"));
        } else {
          Files.createDirectories(dir);
        }
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create directory " + dir, e);
    }
  }

  /** Creates an empty {@code file} as 0600 when it does not exist. */
  public static Path createFile(Path file) {
    try {
      if (POSIX) {
        Files.createFile(file, attribute("rw-------"));
      } else {
        Files.createFile(file);
      }
    } catch (FileAlreadyExistsException e) {
      // kept as it is
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create file " + file, e);
    }
    return file;
  }

  private static FileAttribute<?> attribute(String permissions) {
    return PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions));
  }
}
