package dev.strata.registry.db;

import static dev.strata.registry.StrataAssertions.assertCode;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.api.DeploymentSpec;
import dev.strata.api.RolloutStrategy;
import dev.strata.api.Selector;
import dev.strata.control.ConfidenceMeasure;
import dev.strata.control.Heartbeat;
import dev.strata.control.InferencePolicy;
import dev.strata.control.Json;
import dev.strata.core.ErrorCode;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The wire forms the REST layer reads with {@link Json}, as documented in docs/api.md. */
class JsonTest {
  @Test
  void minimalHeartbeatReadsWithEmptyCollections() {
    Heartbeat hb =
        Json.read(
            "{\"agentVersion\":\"1\",\"health\":\"HEALTHY\",\"queueDepth\":0,\"cpuPercent\":1.5,"
                + "\"memoryUsedBytes\":0,\"memoryTotalBytes\":0}",
            Heartbeat.class);
    assertThat(hb.models()).isEmpty();
    assertThat(hb.deployments()).isEmpty();
    assertThat(hb.desiredStateEtag()).isEmpty();
  }

  @Test
  void documentedDeploymentSpecReads() {
    DeploymentSpec spec =
        Json.read(
            """
            {"model": "detector", "version": 2, "variant": "int8", "target": "EDGE",
             "selector": "site=shanghai,tier=gateway",
             "strategy": {"type": "canary", "percent": 20, "promoteAfterHeartbeats": 3,
                          "maxErrorRate": 0.05, "minRequests": 20},
             "policy": {"type": "cascade", "measure": "MAX_PROBABILITY", "threshold": 0.6,
                        "cloudModel": "detector-large"},
             "hardExamples": {"enabled": true, "maxTotalBytes": 1073741824, "maxSampleBytes": 1048576}}
            """,
            DeploymentSpec.class);
    assertThat(spec.selector()).isEqualTo(Selector.parse("site=shanghai,tier=gateway"));
    assertThat(spec.strategy()).isEqualTo(new RolloutStrategy.Canary(20, 3, 0.05, 20));
    assertThat(spec.policy())
        .isEqualTo(
            new InferencePolicy.Cascade(
                ConfidenceMeasure.MAX_PROBABILITY, 0.6, Optional.of("detector-large")));
    assertThat(Json.read(Json.write(spec), DeploymentSpec.class)).isEqualTo(spec);
    assertThat(Json.read("{\"type\":\"edge-only\"}", InferencePolicy.class))
        .isEqualTo(InferencePolicy.EDGE_ONLY);
  }

  @Test
  void badBodiesAreInvalidArgumentsNamingTheProblem() {
    assertCode(
        () -> Json.read("{\"model\":\"m\",\"version\":0}", DeploymentSpec.class),
        ErrorCode.INVALID_ARGUMENT,
        "variant");
    assertCode(
        () -> Json.read("{\"type\":\"canary\",\"percent\":0}", RolloutStrategy.class),
        ErrorCode.INVALID_ARGUMENT,
        "canary percent: 0");
    assertCode(() -> Json.read("{", Heartbeat.class), ErrorCode.INVALID_ARGUMENT, "invalid JSON");
  }

  @Test
  void durationsAndInstantsAreIso() {
    assertThat(Json.write(Duration.ofSeconds(10))).isEqualTo("\"PT10S\"");
    assertThat(Json.read("\"PT10S\"", Duration.class)).isEqualTo(Duration.ofSeconds(10));
  }
}
