package dev.strata.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.registry.testing.TestDb;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/api.md stays true: every endpoint the server routes is in its tables with the same access,
 * and every row there is routed. The packaged copy the server serves is the same file.
 */
class ApiDocsIT {
  private static final Pattern ROW =
      Pattern.compile("^\\| (GET|POST|PUT|PATCH|DELETE|HEAD) \\| `([^`]+)` \\| ([^|]+) \\|");
  private static final Pattern ROLE = Pattern.compile("VIEWER|DEPLOYER|ADMIN");

  @TempDir Path dir;

  static Path docs() {
    Path p = Path.of("..", "docs", "api.md");
    return Files.exists(p) ? p : Path.of("docs", "api.md");
  }

  private static String access(String cell) {
    String c = cell.trim();
    if (c.startsWith("none")) {
      return "none";
    }
    if (c.equals("node")) {
      return "node";
    }
    Matcher m = ROLE.matcher(c);
    String role = m.find() ? m.group() : "?(" + c + ")";
    return c.contains("node") ? role + " or node" : role;
  }

  static Set<String> documented(String markdown) {
    Set<String> out = new TreeSet<>();
    for (String line : markdown.split("\n")) {
      Matcher m = ROW.matcher(line);
      if (m.find()) {
        String path = m.group(2);
        int q = path.indexOf('?');
        out.add(
            m.group(1) + " " + (q < 0 ? path : path.substring(0, q)) + " " + access(m.group(3)));
      }
    }
    return out;
  }

  @Test
  void everyRoutedEndpointIsDocumentedAndEveryDocumentedOneRouted() throws Exception {
    String markdown = Files.readString(docs(), StandardCharsets.UTF_8);
    Set<String> routed = new TreeSet<>();
    try (TestCloud cloud = TestCloud.start(dir, TestDb.SQLITE)) {
      for (Endpoint e : cloud.server.api().endpoints()) {
        routed.add(e.method() + " " + e.pattern() + " " + e.access().describe());
      }
    }
    assertThat(documented(markdown)).containsExactlyInAnyOrderElementsOf(routed);
  }

  @Test
  void theServedDescriptionIsTheRepositoryFile() throws Exception {
    assertThat(new String(DocsEndpoints.apiMarkdown(), StandardCharsets.UTF_8))
        .isEqualTo(Files.readString(docs(), StandardCharsets.UTF_8));
  }

  @Test
  void openApiListsEveryEndpointWithItsAccess() {
    List<Endpoint> endpoints =
        List.of(
            new Endpoint("GET", "/a/{x}", Access.VIEWER, false, "read", r -> null),
            new Endpoint("POST", "/a/{x}", Access.PUBLIC, true, "upload", r -> null));
    Map<String, Object> doc = DocsEndpoints.openApi(endpoints);
    assertThat(doc.get("openapi")).isEqualTo("3.1.0");
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Map<String, Object>>> paths =
        (Map<String, Map<String, Map<String, Object>>>) doc.get("paths");
    assertThat(paths.get("/a/{x}")).containsOnlyKeys("get", "post");
    assertThat(paths.get("/a/{x}").get("get").get("x-strata-access")).isEqualTo("VIEWER");
    assertThat(paths.get("/a/{x}").get("post").get("security")).isEqualTo(List.of());
    assertThat(paths.get("/a/{x}").get("post")).containsKey("requestBody");
  }
}
