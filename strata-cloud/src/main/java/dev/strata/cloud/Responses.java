package dev.strata.cloud;

import dev.strata.control.Json;
import dev.strata.serving.HttpResult;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

/** The JSON answers of the management API. */
final class Responses {
  private Responses() {}

  static HttpResult ok(Object body) {
    return HttpResult.json(200, Json.writeBytes(body));
  }

  static HttpResult created(Object body, String location) {
    return new HttpResult(
        201,
        HttpResult.JSON,
        Map.of("Location", location),
        List.of(ByteBuffer.wrap(Json.writeBytes(body))));
  }

  /** {@code {"items": [...]}}. */
  static HttpResult items(List<?> items) {
    return ok(Map.of("items", items));
  }

  static HttpResult noContent() {
    return new HttpResult(204, HttpResult.JSON, Map.of(), List.of());
  }

  static HttpResult withHeaders(HttpResult r, Map<String, String> headers) {
    java.util.HashMap<String, String> all = new java.util.HashMap<>(r.headers());
    all.putAll(headers);
    return new HttpResult(r.status(), r.contentType(), all, r.body(), r.stream());
  }
}
