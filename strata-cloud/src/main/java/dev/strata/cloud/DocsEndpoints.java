package dev.strata.cloud;

import dev.strata.core.StrataVersion;
import dev.strata.serving.HttpResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The API's description, served by the API itself: {@code docs/api.md} (packaged with this module
 * from the repository's docs) and an OpenAPI 3.1 outline generated from the route table, so it
 * lists exactly the endpoints the server routes.
 */
final class DocsEndpoints {
  private static final Pattern PARAM = Pattern.compile("\\{([A-Za-z0-9]+)}");

  private final Supplier<List<Endpoint>> table;

  DocsEndpoints(Supplier<List<Endpoint>> table) {
    this.table = table;
  }

  List<Endpoint> endpoints() {
    return List.of(
        new Endpoint(
            "GET",
            "/api/v1",
            Access.PUBLIC,
            false,
            "This API's documentation (docs/api.md, Markdown)",
            r ->
                new HttpResult(
                    200,
                    "text/markdown; charset=utf-8",
                    Map.of(),
                    List.of(ByteBuffer.wrap(apiMarkdown())))),
        new Endpoint(
            "GET",
            "/api/v1/openapi.json",
            Access.PUBLIC,
            false,
            "This API's endpoints as an OpenAPI 3.1 document",
            r -> Responses.ok(openApi(table.get()))));
  }

  /** docs/api.md as packaged into this module. */
  static byte[] apiMarkdown() {
    try (InputStream in = DocsEndpoints.class.getResourceAsStream("api.md")) {
      if (in == null) {
        throw new IllegalStateException("api.md is missing from the strata-cloud jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Map<String, Object> openApi(List<Endpoint> endpoints) {
    Map<String, Object> paths = new TreeMap<>();
    for (Endpoint e : endpoints) {
      @SuppressWarnings("unchecked")
      Map<String, Object> item =
          (Map<String, Object>) paths.computeIfAbsent(e.pattern(), p -> new LinkedHashMap<>());
      Map<String, Object> op = new LinkedHashMap<>();
      op.put("summary", e.summary());
      op.put("x-strata-access", e.access().describe());
      List<Map<String, Object>> params = new java.util.ArrayList<>();
      Matcher m = PARAM.matcher(e.pattern());
      while (m.find()) {
        params.add(
            Map.of(
                "name",
                m.group(1),
                "in",
                "path",
                "required",
                true,
                "schema",
                Map.of("type", "string")));
      }
      if (!params.isEmpty()) {
        op.put("parameters", params);
      }
      op.put(
          "security",
          e.access() instanceof Access.Public ? List.of() : List.of(Map.of("bearer", List.of())));
      if (e.streaming()) {
        op.put(
            "requestBody",
            Map.of(
                "content",
                Map.of(
                    "application/octet-stream",
                    Map.of("schema", Map.of("type", "string", "format", "binary")))));
      }
      op.put(
          "responses",
          Map.of(
              "default",
              Map.of(
                  "description",
                  "see docs/api.md; errors are {\"error\": message, \"code\": CODE}")));
      item.put(e.method().toLowerCase(java.util.Locale.ROOT), op);
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("openapi", "3.1.0");
    doc.put(
        "info",
        Map.of(
            "title",
            "Strata cloud management and node API",
            "version",
            StrataVersion.get(),
            "description",
            "Full reference: GET /api/v1 (docs/api.md)."));
    doc.put("paths", paths);
    doc.put(
        "components",
        Map.of("securitySchemes", Map.of("bearer", Map.of("type", "http", "scheme", "bearer"))));
    return doc;
  }
}
