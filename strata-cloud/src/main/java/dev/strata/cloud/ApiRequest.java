package dev.strata.cloud;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.strata.control.Json;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.registry.auth.NodePrincipal;
import dev.strata.registry.auth.Principal;
import dev.strata.registry.auth.UserPrincipal;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A management API call as a handler sees it: the path and query parameters, the headers, the
 * authenticated caller and the body (whole, or as a stream on streaming endpoints).
 */
final class ApiRequest {
  /**
   * The registry's JSON mapping, with absent or null text fields read as empty text: a client may
   * leave out {@code description} and the like; a required name left out is then refused by the
   * name check with its usual message. Enum values are read in any case (docs/api.md), and anything
   * after the body's one JSON value is refused rather than ignored.
   */
  private static final ObjectMapper MAPPER =
      ((JsonMapper) Json.mapper())
          .rebuild()
          .withConfigOverride(
              String.class, o -> o.setSetterInfo(JsonSetter.Value.forValueNulls(Nulls.AS_EMPTY)))
          .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private final String method;
  private final String path;
  private final Map<String, String> pathParams;
  private final Map<String, List<String>> query;
  private final Function<String, Optional<String>> headers;
  private final Optional<Principal> principal;
  private final InputStream body;
  private final byte[] bytes;

  ApiRequest(
      String method,
      String path,
      Map<String, String> pathParams,
      Map<String, List<String>> query,
      Function<String, Optional<String>> headers,
      Optional<Principal> principal,
      InputStream body,
      byte[] bytes) {
    this.method = method;
    this.path = path;
    this.pathParams = pathParams;
    this.query = query;
    this.headers = headers;
    this.principal = requireNonNull(principal, "principal");
    this.body = body;
    this.bytes = bytes;
  }

  String method() {
    return method;
  }

  String path() {
    return path;
  }

  String param(String name) {
    String v = pathParams.get(name);
    if (v == null) {
      throw new IllegalStateException("route has no path parameter '" + name + "'");
    }
    return v;
  }

  /** A path parameter that must be a positive number (a model version). */
  long longParam(String name) {
    String v = param(name);
    try {
      long n = Long.parseLong(v);
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // answered below
    }
    throw StrataException.invalid("%s: %s (expected: a positive integer)", name, v);
  }

  Optional<String> query(String name) {
    List<String> v = query.get(name);
    return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.getFirst());
  }

  Optional<String> header(String name) {
    return headers.apply(name);
  }

  Function<String, Optional<String>> headers() {
    return headers;
  }

  /** The caller, on endpoints that are not public. */
  Principal principal() {
    return principal.orElseThrow(() -> new IllegalStateException("public endpoint"));
  }

  /** The calling node, on node endpoints. */
  NodePrincipal node() {
    return (NodePrincipal) principal();
  }

  Optional<UserPrincipal> user() {
    return principal.filter(UserPrincipal.class::isInstance).map(UserPrincipal.class::cast);
  }

  /** The body as a stream (streaming endpoints read the upload from it). */
  InputStream body() {
    return body;
  }

  /** The whole body (not on streaming endpoints). */
  byte[] bytes() {
    if (bytes == null) {
      throw new IllegalStateException("a streaming endpoint reads body()");
    }
    return bytes;
  }

  /** The body as JSON of {@code type}; 400 naming the problem when it is not. */
  <T> T json(Class<T> type) {
    byte[] b = bytes();
    if (b.length == 0) {
      throw StrataException.invalid(
          "%s: empty body (expected: a JSON object, see docs/api.md)", type.getSimpleName());
    }
    return parse(b, type);
  }

  /** The body as JSON of {@code type}, or {@code empty} when there is no body. */
  <T> T jsonOr(Class<T> type, T empty) {
    return bytes().length == 0 ? empty : parse(bytes(), type);
  }

  /**
   * {@code json} as {@code type}; 400 naming the problem when it is not one, including a JSON
   * {@code null} (which Jackson would hand back as a null object).
   */
  static <T> T parse(byte[] json, Class<T> type) {
    return parse(json, MAPPER.constructType(type), type.getSimpleName());
  }

  /** {@code json} as {@code type} (a map of labels and the like), refused as {@code what}. */
  static <T> T parse(byte[] json, TypeReference<T> type, String what) {
    return parse(json, MAPPER.constructType(type), what);
  }

  private static <T> T parse(byte[] json, JavaType type, String what) {
    try {
      T value = MAPPER.readValue(json, type);
      if (value == null) {
        throw StrataException.invalid(
            "%s: null body (expected: a JSON object, see docs/api.md)", what);
      }
      return value;
    } catch (JsonProcessingException e) {
      throw badJson(what, e);
    } catch (IOException e) {
      throw StrataException.invalid("%s: unreadable body (%s)", what, e);
    }
  }

  /**
   * A body that does not map: the validation message of the record when a constructor refused it,
   * else Jackson's message without the input's location (which would echo the body).
   */
  static StrataException badJson(String what, JsonProcessingException e) {
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof StrataException s) {
        return new StrataException(s.code(), what + ": " + s.getMessage());
      }
      if (t instanceof NullPointerException npe && npe.getMessage() != null) {
        return new StrataException(
            ErrorCode.INVALID_ARGUMENT, what + ": missing field '" + npe.getMessage() + "'");
      }
    }
    return new StrataException(
        ErrorCode.INVALID_ARGUMENT, what + ": invalid JSON (" + e.getOriginalMessage() + ")");
  }
}
