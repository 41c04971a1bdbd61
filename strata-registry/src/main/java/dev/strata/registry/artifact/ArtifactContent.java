package dev.strata.registry.artifact;

import static java.util.Objects.requireNonNull;

import dev.strata.api.Artifact;
import java.io.IOException;
import java.io.InputStream;

/**
 * A byte range of a stored artifact being read: the caller owns the stream and closes this.
 *
 * @param artifact the whole artifact
 * @param offset the first byte of the range
 * @param length the number of bytes the stream yields
 * @param stream the range's content
 */
public record ArtifactContent(Artifact artifact, long offset, long length, InputStream stream)
    implements AutoCloseable {
  public ArtifactContent {
    requireNonNull(artifact, "artifact");
    requireNonNull(stream, "stream");
  }

  /** Whether this is the whole artifact (answer 200) rather than a part of it (206). */
  public boolean isWhole() {
    return offset == 0 && length == artifact.size();
  }

  @Override
  public void close() throws IOException {
    stream.close();
  }
}
