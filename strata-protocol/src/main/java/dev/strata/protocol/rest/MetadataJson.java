package dev.strata.protocol.rest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.strata.core.ErrorCode;
import dev.strata.core.ModelMetadata;
import dev.strata.core.ModelStatistics;
import dev.strata.core.RepositoryEntry;
import dev.strata.core.ServerMetadata;
import dev.strata.core.StrataException;
import dev.strata.protocol.rest.MetadataBodies.ErrorBody;
import dev.strata.protocol.rest.MetadataBodies.ModelMetadataBody;
import dev.strata.protocol.rest.MetadataBodies.RepositoryEntryBody;
import dev.strata.protocol.rest.MetadataBodies.RepositoryIndexRequestBody;
import dev.strata.protocol.rest.MetadataBodies.RepositoryRequestBody;
import dev.strata.protocol.rest.MetadataBodies.ServerMetadataBody;
import dev.strata.protocol.rest.MetadataBodies.StatisticsBody;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The small JSON messages (server and model metadata, statistics in Triton's shape, the repository
 * index and load/unload bodies, errors) bound by Jackson databind to the records of {@link
 * MetadataBodies}. Not on the hot path; tensor data has its own streaming codec.
 *
 * <p>Reading is strict: a value of the wrong JSON type (a string where a number belongs, a number
 * with a fraction for an integer) is an INVALID_ARGUMENT naming its path ({@code
 * model_stats[0].inference_count}); unknown fields are ignored, as everywhere in the protocol.
 */
final class MetadataJson {
  /** Over a copy of the streaming codec's factory: a mapper makes itself its factory's codec. */
  private static final ObjectMapper MAPPER =
      JsonMapper.builder(Json.FACTORY.copy())
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
          .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .withCoercionConfig(
              LogicalType.Textual,
              c ->
                  c.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                      .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                      .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
          .build();

  private MetadataJson() {}

  // ---- writing -------------------------------------------------------------------------------

  static byte[] error(String message, ErrorCode code) {
    return write(new ErrorBody(message, code == null ? null : code.name()));
  }

  static byte[] serverMetadata(ServerMetadata m) {
    return write(ServerMetadataBody.of(m));
  }

  static byte[] modelMetadata(ModelMetadata m) {
    return write(ModelMetadataBody.of(m));
  }

  static byte[] statistics(List<ModelStatistics> stats) {
    return write(StatisticsBody.of(stats));
  }

  static byte[] repositoryIndex(List<RepositoryEntry> entries) {
    return write(entries.stream().map(RepositoryEntryBody::of).toList());
  }

  static byte[] repositoryIndexRequest(boolean readyOnly) {
    return write(new RepositoryIndexRequestBody(readyOnly));
  }

  static byte[] repositoryRequest(Map<String, Object> parameters) {
    return write(new RepositoryRequestBody(parameters));
  }

  private static byte[] write(Object body) {
    try {
      return MAPPER.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("writing " + body.getClass().getSimpleName(), e);
    }
  }

  // ---- reading -------------------------------------------------------------------------------

  /** What a body binds to, and what it is called in messages about it as a whole. */
  private record Body<T>(JavaType type, String what) {
    static <T> Body<T> of(Class<T> type, String what) {
      return new Body<>(MAPPER.constructType(type), what);
    }

    static <T> Body<T> of(TypeReference<T> type, String what) {
      return new Body<>(MAPPER.constructType(type), what);
    }
  }

  private static final Body<ErrorBody> ERROR = Body.of(ErrorBody.class, "error response");
  private static final Body<ServerMetadataBody> SERVER_METADATA =
      Body.of(ServerMetadataBody.class, "server metadata");
  private static final Body<ModelMetadataBody> MODEL_METADATA =
      Body.of(ModelMetadataBody.class, "model metadata");
  private static final Body<StatisticsBody> STATISTICS =
      Body.of(StatisticsBody.class, "statistics");
  private static final Body<List<RepositoryEntryBody>> REPOSITORY_INDEX =
      Body.of(new TypeReference<>() {}, "repository index");
  private static final Body<RepositoryIndexRequestBody> REPOSITORY_INDEX_REQUEST =
      Body.of(RepositoryIndexRequestBody.class, "repository index request");
  private static final Body<RepositoryRequestBody> REPOSITORY_REQUEST =
      Body.of(RepositoryRequestBody.class, "repository request");

  static StrataException error(int httpStatus, byte[] body) {
    ErrorCode code = ErrorCode.fromHttpStatus(httpStatus);
    try {
      ErrorBody e = required(body, ERROR);
      for (ErrorCode c : ErrorCode.values()) {
        if (c.name().equals(e.code())) {
          code = c;
        }
      }
      return new StrataException(code, e.error() == null ? "HTTP " + httpStatus : e.error());
    } catch (StrataException e) {
      // Not the protocol's JSON error (a proxy's page, say): keep what it said, briefly.
      String text = new String(body, StandardCharsets.UTF_8).strip();
      return new StrataException(
          code,
          text.isEmpty()
              ? "HTTP " + httpStatus
              : "HTTP " + httpStatus + ": " + text.substring(0, Math.min(text.length(), 500)));
    }
  }

  static ServerMetadata serverMetadata(byte[] body) {
    return required(body, SERVER_METADATA).toCore();
  }

  static ModelMetadata modelMetadata(byte[] body) {
    return required(body, MODEL_METADATA).toCore();
  }

  static List<ModelStatistics> statistics(byte[] body) {
    return required(body, STATISTICS).toCore();
  }

  static List<RepositoryEntry> repositoryIndex(byte[] body) {
    return read(body, 0, body.length, REPOSITORY_INDEX)
        .map(l -> l.stream().map(RepositoryEntryBody::toCore).toList())
        .orElse(List.of());
  }

  static boolean repositoryIndexRequest(byte[] body, int offset, int length) {
    return read(body, offset, length, REPOSITORY_INDEX_REQUEST)
        .map(r -> Boolean.TRUE.equals(r.ready()))
        .orElse(false);
  }

  static Map<String, Object> repositoryRequest(byte[] body, int offset, int length) {
    return read(body, offset, length, REPOSITORY_REQUEST)
        .map(RepositoryRequestBody::parameters)
        .orElse(Map.of());
  }

  private static <T> T required(byte[] body, Body<T> type) {
    return read(body, 0, body.length, type)
        .orElseThrow(
            () -> StrataException.invalid("%s: missing (expected: an object)", type.what()));
  }

  /** One JSON value bound to {@code type}; an empty body (or {@code null}) reads as empty. */
  private static <T> Optional<T> read(byte[] body, int offset, int length, Body<T> type) {
    JsonParser p = Json.parser(body, offset, length);
    try {
      if (p.nextToken() == null) {
        return Optional.empty();
      }
      T value = MAPPER.readValue(p, type.type());
      Json.expectEnd(p);
      return Optional.ofNullable(value);
    } catch (JsonMappingException e) {
      throw invalid(e, p, type.what()); // before closing: the parser is still at the value at fault
    } catch (JsonProcessingException e) {
      throw Json.malformed(e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      close(p);
    }
  }

  private static void close(JsonParser p) {
    try {
      p.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a parser over an array has nothing to fail on
    }
  }

  /** Jackson's binding failure as the client's mistake, naming the field at fault. */
  private static StrataException invalid(JsonMappingException e, JsonParser p, String what) {
    String path = path(e.getPath());
    if (path.startsWith("[")) {
      path = what + path; // an element of a top-level array: repository index[0].version
    }
    Throwable cause = e.getCause();
    if (cause instanceof StrataException s) {
      // A record's constructor names the field inside the record the path leads to; a value
      // reader names its field itself.
      return e instanceof ValueInstantiationException && !path.isEmpty()
          ? StrataException.invalid("%s.%s", path, s.getMessage())
          : s;
    }
    String at = path.isEmpty() ? what : path;
    if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
      return StrataException.invalid(
          "%s: %s (expected: %s)", at, value(p), expected(MAPPER.constructType(m.getTargetType())));
    }
    if (cause instanceof JsonProcessingException c) {
      return StrataException.invalid("%s: %s", at, c.getOriginalMessage());
    }
    return StrataException.invalid("%s: %s", at, e.getOriginalMessage());
  }

  /** {@code model_stats[0].inference_count}. */
  private static String path(List<JsonMappingException.Reference> refs) {
    StringBuilder b = new StringBuilder();
    for (JsonMappingException.Reference r : refs) {
      if (r.getFieldName() != null) {
        b.append(b.isEmpty() ? "" : ".").append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        b.append('[').append(r.getIndex()).append(']');
      }
    }
    return b.toString();
  }

  /** The value at fault as the client wrote it: its text, or what kind of structure it is. */
  private static String value(JsonParser p) {
    if (p.currentToken() == null) {
      return "nothing";
    }
    try {
      return switch (p.currentToken()) {
        case START_OBJECT, FIELD_NAME -> "an object";
        case START_ARRAY -> "an array";
        default -> {
          String text = p.getText();
          yield text.length() <= 40 ? text : text.substring(0, 37) + "...";
        }
      };
    } catch (IOException e) {
      return p.currentToken().toString();
    }
  }

  private static String expected(JavaType t) {
    Class<?> c = t.getRawClass();
    if (c == String.class) {
      return "a string";
    }
    if (c == Boolean.class || c == boolean.class) {
      return "a boolean";
    }
    if (c == long.class || c == Long.class || c == int.class || c == Integer.class) {
      return "an integer";
    }
    if (t.isArrayType() || Collection.class.isAssignableFrom(c)) {
      return "an array";
    }
    return "an object";
  }
}
