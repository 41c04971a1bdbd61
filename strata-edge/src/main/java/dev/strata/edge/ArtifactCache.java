package dev.strata.edge;

import dev.strata.control.ManifestVerificationException;
import dev.strata.control.ManifestVerifier;
import dev.strata.control.SignedManifest;
import dev.strata.core.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verified artifacts by SHA-256 ({@code <dir>/<sha256>}) and downloads in progress ({@code
 * <dir>/<sha256>.partial}, resumed from their length). A file only gets its final name after its
 * size, digest and manifest signature have been checked.
 */
final class ArtifactCache {
  private static final Logger LOG = LoggerFactory.getLogger(ArtifactCache.class);
  private static final String PARTIAL = ".partial";

  /** Fetches an artifact's bytes into a partial file, resuming from what it holds. */
  @FunctionalInterface
  interface Downloader {
    void download(String sha256, Path partial, long size) throws IOException;
  }

  private final Path dir;

  ArtifactCache(Path dir) {
    this.dir = dir;
  }

  Path file(String sha256) {
    return dir.resolve(sha256);
  }

  Path partial(String sha256) {
    return dir.resolve(sha256 + PARTIAL);
  }

  /**
   * The verified artifact a signed manifest describes: from the cache when it is there and still
   * intact, else downloaded (resumed when a partial file exists) and verified. A resumed download
   * that fails verification is fetched again from the start once, so that a partial file damaged by
   * a crash is not taken for tampering.
   *
   * @throws ManifestVerificationException when the manifest or the downloaded bytes fail
   * @throws IOException when the download fails (retry later; the partial file is kept)
   */
  Path fetch(SignedManifest signed, ManifestVerifier verifier, Downloader downloader)
      throws IOException {
    String sha = signed.manifest().sha256();
    long size = signed.manifest().size();
    Path done = file(sha);
    if (Files.exists(done)) {
      try {
        verifier.verifyFile(signed, done);
        return done;
      } catch (ManifestVerificationException e) {
        LOG.warn("cached artifact {} is damaged ({}); downloading it again", sha, e.getMessage());
        Files.deleteIfExists(done);
      }
    }
    Path part = partial(sha);
    boolean resumed = Files.exists(part) && Files.size(part) > 0;
    downloader.download(sha, part, size);
    try {
      verifier.verifyFile(signed, part);
    } catch (ManifestVerificationException e) {
      Files.deleteIfExists(part);
      if (!resumed) {
        throw e;
      }
      LOG.warn("resumed download of {} failed verification; downloading it whole", sha);
      downloader.download(sha, part, size);
      try {
        verifier.verifyFile(signed, part);
      } catch (ManifestVerificationException again) {
        Files.deleteIfExists(part);
        throw again;
      }
    }
    AtomicFiles.moveIntoPlace(part, done);
    return done;
  }

  /** Deletes artifacts not in {@code keep} and partial downloads not in {@code keepPartial}. */
  void retainOnly(Set<String> keep, Set<String> keepPartial) {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        String name = f.getFileName().toString();
        boolean partial = name.endsWith(PARTIAL);
        String sha = partial ? name.substring(0, name.length() - PARTIAL.length()) : name;
        if (!(partial ? keepPartial : keep).contains(sha)) {
          Files.deleteIfExists(f);
          LOG.debug("removed {}", f);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean " + dir, e);
    }
  }
}
