package dev.strata.control;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.strata.core.StrataException;
import java.util.List;
import java.util.Map;

/**
 * The JSON mapping of the registry's records, used for JSON columns and by the REST layer: records
 * as objects, {@code Optional} as the value or null, {@code Instant} and {@code Duration} as
 * ISO-8601 text ({@code 2026-01-01T00:00:00Z}, {@code PT10S}), enums by name, map keys sorted so
 * equal content gives equal bytes (ETags depend on it).
 */
public final class Json {
  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .addModule(new Jdk8Module())
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
          // an absent or null list/map in a request body reads as empty
          .withConfigOverride(
              List.class, o -> o.setSetterInfo(JsonSetter.Value.forValueNulls(Nulls.AS_EMPTY)))
          .withConfigOverride(
              Map.class, o -> o.setSetterInfo(JsonSetter.Value.forValueNulls(Nulls.AS_EMPTY)))
          .build();

  private Json() {}

  /** The shared, fully configured mapper (thread-safe; do not reconfigure it). */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw StrataException.internal("cannot write JSON for " + value.getClass().getName(), e);
    }
  }

  public static byte[] writeBytes(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw StrataException.internal("cannot write JSON for " + value.getClass().getName(), e);
    }
  }

  public static <T> T read(String json, Class<T> type) {
    try {
      return MAPPER.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw StrataException.invalid("%s: invalid JSON (%s)", type.getSimpleName(), e.getMessage());
    }
  }

  public static <T> T read(String json, TypeReference<T> type) {
    try {
      return MAPPER.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw StrataException.invalid("invalid JSON (%s)", e.getMessage());
    }
  }

  public static Map<String, String> readStringMap(String json) {
    return Map.copyOf(read(json, new TypeReference<Map<String, String>>() {}));
  }

  public static List<String> readStringList(String json) {
    return List.copyOf(read(json, new TypeReference<List<String>>() {}));
  }
}
