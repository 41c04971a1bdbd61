package dev.strata.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.control.Json;
import dev.strata.core.AtomicFiles;
import dev.strata.core.StrataException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's JSON files ({@code node.json}, {@code state/applied.json}, {@code
 * state/desired.json}): each an object with its format version in {@code schema} next to the
 * content's own fields, written atomically. A file without one is format 1; a file from a newer
 * agent (a higher version) is refused rather than half understood (see {@link FileFormat}).
 */
final class StateFiles {
  /** The format this agent writes and the newest it reads. */
  static final int FORMAT = 1;

  private static final Logger LOG = LoggerFactory.getLogger(StateFiles.class);

  private StateFiles() {}

  /**
   * Reads a file written by {@link #write}; empty when it does not exist or cannot be parsed (a
   * damaged file is logged and treated as absent: the cloud will send the state again).
   *
   * @throws StrataException FAILED_PRECONDITION for a file of a newer format, from a newer agent
   */
  static <T> Optional<T> read(Path file, Class<T> type) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    JsonNode node;
    try {
      node = Json.mapper().readTree(bytes);
    } catch (IOException e) {
      LOG.error("{} is damaged and is ignored: {}", file, e.getMessage());
      return Optional.empty();
    }
    OptionalInt format = node.isObject() ? FileFormat.of(node) : OptionalInt.empty();
    if (format.isEmpty()) {
      LOG.error("{} is damaged and is ignored: no JSON object with a format version", file);
      return Optional.empty();
    }
    FileFormat.check(file, format.getAsInt(), FORMAT);
    try {
      return Optional.of(Json.mapper().treeToValue(node, type));
    } catch (IOException | RuntimeException e) {
      LOG.error("{} is damaged and is ignored: {}", file, e.getMessage());
      return Optional.empty();
    }
  }

  /** Writes {@code value}'s fields plus its format version atomically; {@code secret}: 0600. */
  static void write(Path file, Object value, boolean secret) {
    ObjectNode node = Json.mapper().valueToTree(value);
    node.put(FileFormat.FIELD, FORMAT);
    try {
      AtomicFiles.write(
          file, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(node));
      if (secret && FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
        // temporary files are created 0600 already; this states the intent and survives umask
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
