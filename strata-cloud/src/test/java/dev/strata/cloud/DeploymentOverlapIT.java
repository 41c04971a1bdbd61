package dev.strata.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.registry.testing.TestDb;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * An EDGE deployment whose selector can match a node that another EDGE deployment of the same model
 * selects is applied, with a warning in the answer and in the log: such a node runs only one of
 * them.
 */
class DeploymentOverlapIT {
  @TempDir static Path dir;
  static TestCloud cloud;
  static long version;
  static final ListAppender<ILoggingEvent> logs = new ListAppender<>();

  @BeforeAll
  static void start() {
    cloud = TestCloud.start(dir, TestDb.SQLITE);
    version = cloud.publish("m", TestCloud.mlp(1));
    cloud.publish("other", TestCloud.mlp(2));
    logs.start();
    ((Logger) LoggerFactory.getLogger(DeploymentEndpoints.class)).addAppender(logs);
  }

  @AfterAll
  static void stop() {
    ((Logger) LoggerFactory.getLogger(DeploymentEndpoints.class)).detachAppender(logs);
    cloud.close();
  }

  private static JsonNode deploy(String name, String model, String target, String selector) {
    Api.Response r =
        cloud.admin.put(
            "/api/v1/deployments/" + name,
            Map.of(
                "model", model,
                "version", 1,
                "variant", "fp32",
                "target", target,
                "selector", selector));
    assertThat(r.status()).as(r.body()).isIn(200, 201);
    return r.json();
  }

  @Test
  void overlappingSelectorsOfOneModelAreWarnedAbout() {
    assertThat(deploy("shanghai", "m", "EDGE", "site=shanghai").get("warnings")).isEmpty();
    assertThat(deploy("beijing", "m", "EDGE", "site=beijing").get("warnings")).isEmpty();
    assertThat(deploy("other-model", "other", "EDGE", "").get("warnings")).isEmpty();
    assertThat(deploy("in-cloud", "m", "CLOUD", "").get("warnings")).isEmpty();

    JsonNode gateways = deploy("gateways", "m", "EDGE", "tier=gateway,site!=beijing");
    assertThat(gateways.get("name").asText()).isEqualTo("gateways");
    assertThat(gateways.get("warnings")).hasSize(1);
    assertThat(gateways.get("warnings").get(0).asText())
        .contains("overlaps deployment shanghai (selector 'site=shanghai')")
        .doesNotContain("beijing (selector");
    assertThat(logs.list)
        .extracting(ILoggingEvent::getFormattedMessage)
        .anySatisfy(
            m -> assertThat(m).startsWith("deployment gateways: selector").contains("shanghai"));
    // a GET shows the deployment as it is, warnings are an answer to the change
    assertThat(cloud.admin.get("/api/v1/deployments/gateways").json().has("warnings")).isFalse();
  }
}
