package dev.strata.registry.artifact;

import static java.util.Objects.requireNonNull;

import dev.strata.api.Artifact;
import dev.strata.control.Sha256;
import dev.strata.core.AtomicFiles;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link ArtifactStore} on the local file system: {@code <root>/sha256/ab/abcdef...}. Uploads
 * stream into {@code <root>/tmp} (same file system, so the final rename is atomic), are hashed and
 * counted while written, forced to disk, verified and renamed into place; any failure deletes the
 * temporary file. Opening the store removes temporary files a crashed process left behind.
 */
public final class FileSystemArtifactStore implements ArtifactStore {
  private static final Logger LOG = LoggerFactory.getLogger(FileSystemArtifactStore.class);
  private static final int BUFFER = 64 * 1024;

  private final Path root;
  private final Path objects;
  private final Path tmp;

  private FileSystemArtifactStore(Path root) {
    this.root = root;
    this.objects = root.resolve("sha256");
    this.tmp = root.resolve("tmp");
  }

  /** Opens (creating) the store under {@code root} and sweeps leftover temporary files. */
  public static FileSystemArtifactStore open(Path root) {
    requireNonNull(root, "root");
    var store = new FileSystemArtifactStore(root.toAbsolutePath());
    try {
      Files.createDirectories(store.objects);
      Files.createDirectories(store.tmp);
      store.sweepTemporaryFiles();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open artifact store at " + root, e);
    }
    return store;
  }

  public Path root() {
    return root;
  }

  private void sweepTemporaryFiles() throws IOException {
    int removed = 0;
    try (Stream<Path> files = Files.list(tmp)) {
      for (Path p : files.toList()) {
        Files.deleteIfExists(p);
        removed++;
      }
    }
    if (removed > 0) {
      LOG.info("artifact store {}: removed {} incomplete upload(s) left by a crash", root, removed);
    }
  }

  @Override
  public Artifact put(InputStream content, long maxBytes, Optional<String> expectedSha256) {
    requireNonNull(content, "content");
    requireNonNull(expectedSha256, "expectedSha256");
    if (maxBytes < 0) {
      throw StrataException.invalid("maxBytes: %d (expected: >= 0)", maxBytes);
    }
    expectedSha256.ifPresent(d -> Sha256.requireValid(d, "expected sha256"));
    Path part = null;
    try {
      part = Files.createTempFile(tmp, "upload-", ".part");
      MessageDigest digest = Sha256.newDigest();
      long size = copy(content, part, digest, maxBytes);
      String sha256 = Sha256.hex(digest);
      if (expectedSha256.isPresent() && !expectedSha256.get().equals(sha256)) {
        throw StrataException.invalid(
            "artifact sha256: %s (expected: %s as announced by the uploader)",
            sha256, expectedSha256.get());
      }
      Path target = pathOf(sha256);
      if (Files.exists(target)) {
        // Stored again: restart the garbage collector's grace period for it.
        Files.setLastModifiedTime(target, FileTime.from(Instant.now()));
      } else {
        Files.createDirectories(target.getParent());
        AtomicFiles.moveIntoPlace(part, target);
      }
      return statPath(sha256, target).orElseThrow();
    } catch (IOException e) {
      throw new StrataException(
          ErrorCode.INTERNAL, "cannot store artifact in " + root + ": " + e.getMessage(), e);
    } finally {
      if (part != null) {
        deleteQuietly(part);
      }
    }
  }

  private static long copy(InputStream in, Path part, MessageDigest digest, long maxBytes)
      throws IOException {
    try (FileChannel ch = FileChannel.open(part, StandardOpenOption.WRITE)) {
      byte[] buf = new byte[BUFFER];
      long size = 0;
      int n;
      while ((n = in.read(buf)) != -1) {
        size += n;
        if (size > maxBytes) {
          throw new StrataException(
              ErrorCode.PAYLOAD_TOO_LARGE,
              String.format("artifact: more than %d bytes (expected: <= %d)", maxBytes, maxBytes));
        }
        digest.update(buf, 0, n);
        ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
        while (bb.hasRemaining()) {
          ch.write(bb);
        }
      }
      ch.force(true);
      return size;
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      LOG.warn("cannot delete temporary file {}: {}", p, e.toString());
    }
  }

  Path pathOf(String sha256) {
    return objects.resolve(sha256.substring(0, 2)).resolve(sha256);
  }

  @Override
  public Optional<Artifact> stat(String sha256) {
    Sha256.requireValid(sha256, "sha256");
    try {
      return statPath(sha256, pathOf(sha256));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Optional<Artifact> statPath(String sha256, Path p) throws IOException {
    try {
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
      return Optional.of(new Artifact(sha256, a.size(), a.lastModifiedTime().toInstant()));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  @Override
  public ArtifactContent open(String sha256, long offset, long length) {
    Artifact artifact =
        stat(sha256).orElseThrow(() -> StrataException.notFound("artifact %s: not found", sha256));
    if (offset < 0
        || (offset >= artifact.size() && artifact.size() > 0)
        || offset > artifact.size()) {
      throw StrataException.invalid(
          "range offset: %d (expected: 0 <= offset < %d)", offset, artifact.size());
    }
    if (length < 0) {
      throw StrataException.invalid("range length: %d (expected: >= 0)", length);
    }
    long n = Math.min(length, artifact.size() - offset);
    try {
      FileChannel ch = FileChannel.open(pathOf(sha256), StandardOpenOption.READ);
      ch.position(offset);
      InputStream in = new BoundedInputStream(Channels.newInputStream(ch), n);
      return new ArtifactContent(artifact, offset, n, in);
    } catch (NoSuchFileException e) {
      throw StrataException.notFound("artifact %s: not found", sha256);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public boolean delete(String sha256) {
    Sha256.requireValid(sha256, "sha256");
    try {
      return Files.deleteIfExists(pathOf(sha256));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public List<Artifact> list() {
    List<Artifact> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(objects, 2)) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        String name = p.getFileName().toString();
        if (Sha256.isValid(name)) {
          statPath(name, p).ifPresent(out::add);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** Yields at most {@code remaining} bytes of the underlying stream. */
  private static final class BoundedInputStream extends InputStream {
    private final InputStream in;
    private long remaining;

    BoundedInputStream(InputStream in, long remaining) {
      this.in = in;
      this.remaining = remaining;
    }

    @Override
    public int read() throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int b = in.read();
      if (b >= 0) {
        remaining--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, remaining));
      if (n > 0) {
        remaining -= n;
      }
      return n;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
