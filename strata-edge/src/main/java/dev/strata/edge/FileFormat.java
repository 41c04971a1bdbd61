package dev.strata.edge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * The format versions of what the agent keeps in its data directory. Each kind of file states the
 * version it was written in (a JSON file in its {@code schema} field, each telemetry record in its
 * own, the inference-tokens file in its first line); a file that states none was written before
 * versions were stated and is format 1, the format of those files. A version newer than this agent
 * reads is refused, never half understood.
 */
final class FileFormat {
  /** The field of a JSON file or record that holds its format version. */
  static final String FIELD = "schema";

  private FileFormat() {}

  /**
   * The format version a JSON object states; 1 when it states none.
   *
   * @return empty when the field is there but not a positive integer (a damaged file)
   */
  static OptionalInt of(JsonNode node) {
    JsonNode v = node.get(FIELD);
    if (v == null) {
      return OptionalInt.of(1);
    }
    return v.isIntegralNumber() && v.canConvertToInt() && v.intValue() >= 1
        ? OptionalInt.of(v.intValue())
        : OptionalInt.empty();
  }

  /**
   * Fails unless this agent reads {@code version}.
   *
   * @throws StrataException FAILED_PRECONDITION naming the file, its version and what to do
   */
  static void check(Path file, int version, int newest) {
    if (version > newest) {
      throw new StrataException(
          ErrorCode.FAILED_PRECONDITION,
          String.format(
              "%s has format version %d; this agent reads up to %d: upgrade the agent",
              file, version, newest));
    }
  }
}
