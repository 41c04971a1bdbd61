package dev.strata.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.registry.testing.TestDb;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A spare enrollment token cannot take over an enrolled node: enrolling under its name is 409 and
 * the real node keeps its credential; only a token the admin issued for that node re-enrolls it.
 */
class EnrollmentTakeoverIT {
  @TempDir static Path dir;
  static TestCloud cloud;

  @BeforeAll
  static void start() {
    cloud = TestCloud.start(dir, TestDb.SQLITE);
  }

  @AfterAll
  static void stop() {
    cloud.close();
  }

  private static String token(Map<String, Object> body) {
    return cloud
        .admin
        .expect(201, cloud.admin.post("/api/v1/enrollment-tokens", body))
        .get("token")
        .asText();
  }

  private static Api.Response enroll(String token, String name) {
    return cloud
        .anonymous()
        .post("/api/v1/nodes/enroll", Map.of("token", token, "name", name, "labels", Map.of()));
  }

  @Test
  void onlyATokenIssuedForANodeReEnrollsIt() {
    JsonNode real =
        cloud.anonymous().expect(201, enroll(token(Map.of("description", "first")), "gw-1"));
    String credential = real.get("credential").asText();

    String spare = token(Map.of("description", "spare"));
    Api.Response takeover = enroll(spare, "gw-1");
    assertThat(takeover.status()).isEqualTo(409);
    assertThat(takeover.json().get("error").asText())
        .contains("node gw-1: already enrolled")
        .contains("\"node\": \"gw-1\"");
    assertThat(cloud.anonymous().as(credential).get("/api/v1/whoami").status()).isEqualTo(200);

    String forOther = token(Map.of("description", "other", "node", "gw-2"));
    assertThat(enroll(forOther, "gw-1").status()).isEqualTo(403);

    String forIt = token(Map.of("description", "replace gw-1", "node", "gw-1"));
    JsonNode again = cloud.anonymous().expect(201, enroll(forIt, "gw-1"));
    assertThat(again.get("nodeId").asText()).isEqualTo(real.get("nodeId").asText());
    assertThat(cloud.anonymous().as(credential).get("/api/v1/whoami").status()).isEqualTo(401);
    assertThat(
            cloud.anonymous().as(again.get("credential").asText()).get("/api/v1/whoami").status())
        .isEqualTo(200);

    // the refused spare token was not used up: it still enrolls a new node
    assertThat(enroll(spare, "gw-3").status()).isEqualTo(201);
    JsonNode tokens = cloud.admin.expect(200, cloud.admin.get("/api/v1/enrollment-tokens"));
    assertThat(tokens.get("items").findValuesAsText("node")).contains("gw-1", "gw-2");
  }
}
