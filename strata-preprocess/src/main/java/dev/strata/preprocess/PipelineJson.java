package dev.strata.preprocess;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;

/**
 * The JSON conventions of Strata's preprocessing and training files: snake_case names, unknown
 * properties refused (a typo in a spec is an error, not a silently ignored setting), a {@code
 * format_version} checked before anything else is read.
 */
public final class PipelineJson {
  private static final ObjectMapper MAPPER = configure(new ObjectMapper());

  private PipelineJson() {}

  /** Applies Strata's JSON conventions to a mapper (also used for YAML mappers). */
  @SuppressWarnings("deprecation") // the builder form needs a mapper subclass per format
  public static ObjectMapper configure(ObjectMapper mapper) {
    mapper.enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS);
    return mapper
        .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
  }

  /** A shared mapper with Strata's conventions (thread-safe; do not reconfigure it). */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /**
   * Refuses a document whose {@code format_version} is missing or newer than {@code supported}.
   *
   * @param what names the document in the message, e.g. "preprocessing pipeline"
   */
  public static void checkFormatVersion(JsonNode doc, int supported, String what) {
    JsonNode v = doc.get("format_version");
    if (v == null || !v.canConvertToInt()) {
      throw StrataException.invalid(
          "%s: no integer 'format_version' (expected: 1..%d)", what, supported);
    }
    int version = v.asInt();
    if (version > supported) {
      throw new StrataException(
          ErrorCode.FAILED_PRECONDITION,
          String.format(
              "%s: format_version %d is newer than this Strata supports (%d); upgrade Strata to"
                  + " read it",
              what, version, supported));
    }
    if (version < 1) {
      throw StrataException.invalid(
          "%s: format_version %d (expected: 1..%d)", what, version, supported);
    }
  }

  /** Parses JSON text, turning syntax errors into INVALID_ARGUMENT naming the document. */
  public static JsonNode readTree(String json, String what) {
    try {
      return MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new StrataException(
          ErrorCode.INVALID_ARGUMENT,
          what + ": not valid JSON (" + e.getOriginalMessage() + ")",
          e);
    }
  }

  /** Converts a tree to a type, turning mapping errors into INVALID_ARGUMENT naming the path. */
  public static <T> T convert(JsonNode node, Class<T> type, String what) {
    try {
      return MAPPER.treeToValue(node, type);
    } catch (JsonProcessingException e) {
      throw new StrataException(ErrorCode.INVALID_ARGUMENT, what + ": " + describe(e), e);
    } catch (IllegalArgumentException e) {
      throw new StrataException(ErrorCode.INVALID_ARGUMENT, what + ": " + e.getMessage(), e);
    }
  }

  /** A short message for a Jackson error: the JSON path and the cause, without the source dump. */
  public static String describe(JsonProcessingException e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String path = "";
    if (e instanceof com.fasterxml.jackson.databind.JsonMappingException m) {
      path = m.getPathReference();
    }
    String msg = root instanceof StrataException ? root.getMessage() : e.getOriginalMessage();
    return (path.isEmpty() ? "" : "at " + path.replace("dev.strata.", "") + ": ") + msg;
  }

  /** Writes a value as JSON text. */
  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw StrataException.internal("cannot write " + value.getClass().getSimpleName(), e);
    }
  }
}
