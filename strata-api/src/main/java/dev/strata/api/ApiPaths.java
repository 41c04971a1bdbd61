package dev.strata.api;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The paths and query parameters of {@code /api/v1} as {@link CloudApiClient} writes them. */
final class ApiPaths {
  private ApiPaths() {}

  static String versionPath(String model, long version) {
    if (version < 1) {
      throw StrataException.invalid("version: %d (expected: >= 1)", version);
    }
    return "/api/v1/models/" + segment(model) + "/versions/" + version;
  }

  static String deploymentPath(String name) {
    return "/api/v1/deployments/" + segment(name);
  }

  /** A name as one path segment; names are URL-safe (see Names), anything else is encoded. */
  static String segment(String value) {
    requireNonNull(value, "name");
    if (value.isEmpty()) {
      throw StrataException.invalid("name: empty (expected: a name)");
    }
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** A query parameter's value. */
  static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /** {@code from} and {@code to} where the window sets them (a mutable list, for more). */
  static List<String> window(TelemetryWindow w) {
    List<String> params = new ArrayList<>();
    w.from().ifPresent(f -> params.add("from=" + f));
    w.to().ifPresent(t -> params.add("to=" + t));
    return params;
  }
}
