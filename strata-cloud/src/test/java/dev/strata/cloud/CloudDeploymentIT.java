package dev.strata.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.registry.testing.TestDb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The management API end to end over real HTTP: register a model, upload its artifact, create a
 * version and variant, deploy it to the cloud, infer over {@code /v2}; deploy a new version while
 * clients infer without one failed request; roll back; delete the deployment.
 */
@ParameterizedClass
@EnumSource(TestDb.class)
class CloudDeploymentIT {
  @Parameter TestDb db;
  @TempDir Path dir;
  private TestCloud cloud;

  @AfterEach
  void stop() {
    if (cloud != null) {
      cloud.close();
    }
  }

  private String servedVersion(Api api) {
    Api.Response r = api.post("/v2/models/mlp/infer", TestCloud.INFER_BODY);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json().get("model_version").asText();
  }

  private void awaitServing(String version) {
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              Api.Response r = cloud.admin.post("/v2/models/mlp/infer", TestCloud.INFER_BODY);
              assertThat(r.status()).as(r.body()).isEqualTo(200);
              assertThat(r.json().get("model_version").asText()).isEqualTo(version);
            });
  }

  @Test
  void registerUploadDeployServeUpgradeUnderLoadAndRollBack() throws Exception {
    cloud = TestCloud.start(dir, db);
    Api admin = cloud.admin;
    long v1 = cloud.publish("mlp", TestCloud.mlp(1));
    long v2 = cloud.publish("mlp", TestCloud.mlp(2));
    assertThat(v1).isEqualTo(1);
    assertThat(v2).isEqualTo(2);
    JsonNode version = admin.expect(200, admin.get("/api/v1/models/mlp/versions/1"));
    assertThat(version.get("variants").get(0).get("manifest").get("signature").asText())
        .isNotEmpty();

    // deploy version 1 to the cloud: 201, then the cloud serves it
    JsonNode created = admin.expect(201, cloud.deployToCloud("mlp-cloud", "mlp", v1));
    assertThat(created.get("stable").get("version").asLong()).isEqualTo(1);
    awaitServing("1");
    JsonNode status = admin.expect(200, admin.get("/api/v1/cloud/status"));
    assertThat(status.get("models").get(0).get("state").asText()).isEqualTo("READY");
    assertThat(status.get("appliedEtag").asText()).isEqualTo(status.get("desiredEtag").asText());
    assertThat(cloud.server.status().inSync()).isTrue();

    // version 2 rolls out while four clients infer: not one request fails
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger onV2 = new AtomicInteger();
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    Future<?>[] loops = new Future<?>[4];
    for (int i = 0; i < loops.length; i++) {
      loops[i] =
          pool.submit(
              () -> {
                while (running.get()) {
                  try {
                    Api.Response r = admin.post("/v2/models/mlp/infer", TestCloud.INFER_BODY);
                    if (r.status() != 200) {
                      failures.add(r.status() + " " + r.body());
                    } else {
                      ok.incrementAndGet();
                      if (r.json().get("model_version").asText().equals("2")) {
                        onV2.incrementAndGet();
                      }
                    }
                  } catch (RuntimeException e) {
                    failures.add(e.toString());
                  }
                }
              });
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> ok.get() > 20);
    assertThat(
            admin
                .expect(200, cloud.deployToCloud("mlp-cloud", "mlp", v2))
                .get("stable")
                .get("version")
                .asLong())
        .isEqualTo(2);
    await().atMost(Duration.ofSeconds(60)).until(() -> onV2.get() > 20);
    running.set(false);
    for (Future<?> f : loops) {
      f.get();
    }
    pool.shutdown();
    assertThat(failures).isEmpty();
    assertThat(ok.get()).isGreaterThan(40);

    // roll back: version 1 serves again, and version 2's files are gone from the repository
    JsonNode rolledBack =
        admin.expect(
            200, admin.post("/api/v1/deployments/mlp-cloud:rollback", Map.of("reason", "test")));
    assertThat(rolledBack.get("stable").get("version").asLong()).isEqualTo(1);
    awaitServing("1");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !Files.exists(cloud.server.config().modelRepository().resolve("mlp/2")));
    JsonNode revisions =
        admin.expect(200, admin.get("/api/v1/deployments/mlp-cloud/revisions")).get("items");
    assertThat(revisions).hasSize(2);
    assertThat(revisions.get(0).get("status").asText()).isEqualTo("ROLLED_BACK");
    assertThat(revisions.get(1).get("status").asText()).isEqualTo("ACTIVE");

    // deleting the deployment unloads the model and removes it from the repository
    admin.expect(204, admin.delete("/api/v1/deployments/mlp-cloud"));
    // (the runtime answers 503 for a model it unloaded, as Triton does)
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              Api.Response r = admin.post("/v2/models/mlp/infer", TestCloud.INFER_BODY);
              assertThat(r.status()).isEqualTo(503);
              assertThat(r.body()).contains("unloaded");
            });
    try (Stream<Path> left = Files.list(cloud.server.config().modelRepository())) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void aRestartServesTheDeployedModelsAgainFromTheRepository() {
    cloud = TestCloud.start(dir, db);
    long v1 = cloud.publish("mlp", TestCloud.mlp(1));
    cloud.admin.expect(201, cloud.deployToCloud("mlp-cloud", "mlp", v1));
    awaitServing("1");
    cloud = cloud.restart(b -> b);
    awaitServing("1");
    assertThat(servedVersion(cloud.admin)).isEqualTo("1");
  }

  @Test
  void aTamperedModelFileIsReplacedOnRestart() throws Exception {
    cloud = TestCloud.start(dir, db);
    long v1 = cloud.publish("mlp", TestCloud.mlp(1));
    cloud.admin.expect(201, cloud.deployToCloud("mlp-cloud", "mlp", v1));
    awaitServing("1");
    cloud.server.close();
    Path file = cloud.server.config().modelRepository().resolve("mlp/1/model.onnx");
    Files.write(file, TestCloud.mlp(99)); // another valid model, not the signed one
    cloud = cloud.restart(b -> b);
    awaitServing("1");
    assertThat(dev.strata.runtime.install.ModelInstaller.digestOf(file))
        .isEqualTo(dev.strata.control.Sha256.hex(TestCloud.mlp(1)));
  }

  @Test
  void aVariantTheRuntimeCannotLoadFailsVisiblyAndTheOldVersionKeepsServing() {
    cloud = TestCloud.start(dir, db);
    long v1 = cloud.publish("mlp", TestCloud.mlp(1));
    long bad = cloud.publish("mlp", "not an onnx model".getBytes());
    cloud.admin.expect(201, cloud.deployToCloud("mlp-cloud", "mlp", v1));
    awaitServing("1");
    cloud.admin.expect(200, cloud.deployToCloud("mlp-cloud", "mlp", bad));
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              JsonNode m = cloud.admin.get("/api/v1/cloud/status").json().get("models").get(0);
              assertThat(m.get("state").asText()).isEqualTo("FAILED");
              assertThat(m.get("error").asText()).isNotBlank();
            });
    assertThat(servedVersion(cloud.admin)).isEqualTo("1");
    assertThat(cloud.admin.send(cloud.admin.request("/v2/health/ready").GET().build()).status())
        .isEqualTo(200);
  }
}
