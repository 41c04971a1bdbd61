package dev.strata.registry.artifact;

import dev.strata.api.Artifact;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * Content-addressed storage of model artifacts, keyed by SHA-256. Implementations make a {@link
 * #put} atomic: the content becomes visible whole and verified, or not at all. The interface names
 * no file system type so that an S3-compatible store can implement it.
 */
public interface ArtifactStore extends AutoCloseable {
  /**
   * Streams {@code content} into the store, computing its digest on the way.
   *
   * @param content the bytes, read to the end (not closed)
   * @param maxBytes the most bytes accepted; more fails with PAYLOAD_TOO_LARGE
   * @param expectedSha256 the digest the caller announced; a mismatch fails with INVALID_ARGUMENT
   * @return the stored artifact (an existing one when the content was already stored)
   */
  Artifact put(InputStream content, long maxBytes, Optional<String> expectedSha256);

  /** The artifact with this digest, if stored. */
  Optional<Artifact> stat(String sha256);

  default boolean exists(String sha256) {
    return stat(sha256).isPresent();
  }

  /**
   * Opens {@code length} bytes from {@code offset} (fewer where the artifact ends first), for
   * resumable downloads; NOT_FOUND when absent, INVALID_ARGUMENT when the offset is past the end.
   */
  ArtifactContent open(String sha256, long offset, long length);

  /** Opens the whole artifact. */
  default ArtifactContent open(String sha256) {
    return open(sha256, 0, Long.MAX_VALUE);
  }

  /** Deletes the artifact; false when it was not stored. */
  boolean delete(String sha256);

  /** Every stored artifact, for garbage collection. */
  List<Artifact> list();

  @Override
  default void close() {}
}
