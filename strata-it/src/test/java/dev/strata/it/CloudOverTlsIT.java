package dev.strata.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.strata.control.LoadState;
import dev.strata.core.InferenceResponse;
import dev.strata.core.testing.SelfSignedCertificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An edge with a cloud that serves HTTPS only ({@code strata cloud --tls-cert --tls-key}, trusted
 * through the JVM's standard trust store properties): it enrolls, pulls and serves its model, and
 * its cascade policy's escalations reach the cloud's {@code /v2} over TLS too, answered by the
 * cloud's model, not by the edge's fallback.
 */
@Timeout(180)
class CloudOverTlsIT {
  @RegisterExtension final Harness harness = new Harness();

  @Test
  void edgeUsesAnHttpsCloudForControlAndForEscalations() throws Exception {
    SelfSignedCertificate tls = SelfSignedCertificate.create(harness.dir().resolve("tls"));
    CloudProcess cloud = harness.cloud(tls);
    assertThat(cloud.url().getScheme()).isEqualTo("https");
    ManagementClient admin = cloud.admin();
    long edgeVersion = admin.publish("mlp", Models.mlp(1));
    long cloudVersion = admin.publish("mlp-large", Models.mlp(7));
    admin.apply("large", Spec.cloud("mlp-large", cloudVersion));
    EdgeProcess edge =
        harness.edge(
            "edge-1",
            cloud,
            Optional.of(admin.enrollmentToken(java.util.Map.of())),
            List.of(),
            tls.trustOptions());
    admin.apply("det", Spec.edge("mlp", edgeVersion).cascade("mlp-large", 1.0));
    Steps.awaitInSync(admin, "det", 1);
    assertThat(edge.status().get("connected").asBoolean()).isTrue();

    await("the cloud's model ready")
        .atMost(Steps.ROLLOUT)
        .until(
            () ->
                admin.api().cloudStatus().models().stream()
                    .map(m -> m.state())
                    .toList()
                    .equals(List.of(LoadState.READY)));
    InferenceResponse[] last = new InferenceResponse[1];
    await("edge-1 escalating to the cloud over TLS")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(
            () -> {
              last[0] = edge.rest().infer(Models.request("mlp", 0));
              assertThat(Models.servedBy(last[0]))
                  .as("%s", last[0].parameters())
                  .isEqualTo("cloud");
            });
    for (int i = 0; i < 20; i++) {
      InferenceResponse r =
          (i % 2 == 0 ? edge.rest() : edge.grpc()).infer(Models.request("mlp", i));
      assertThat(Models.servedBy(r)).isEqualTo("cloud");
      assertThat(r.model()).isEqualTo("mlp-large");
    }
  }
}
