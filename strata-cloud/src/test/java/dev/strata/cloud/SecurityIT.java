package dev.strata.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.api.Role;
import dev.strata.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.strata.protocol.grpc.ModelMetadataRequest;
import dev.strata.protocol.grpc.ServerLiveRequest;
import dev.strata.registry.testing.TestDb;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Every endpoint of the route table (so a new one cannot be forgotten) is tried without
 * credentials, with wrong ones, with a role too low and with the wrong kind of credential: each
 * refusal is a 401 (with {@code WWW-Authenticate: Bearer}) or 403 with a message saying why. With
 * inference authentication on, {@code /v2} and gRPC take API keys and node credentials (how edges
 * escalate) and nothing else. No secret ever reaches the logs.
 */
class SecurityIT {
  @TempDir static Path dir;
  static TestCloud cloud;
  static ListAppender<ILoggingEvent> logs = new ListAppender<>();
  static Level dataLevel;
  static String viewer;
  static String deployer;
  static String node;
  static String enrollmentToken;

  @BeforeAll
  static void start() {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger strata = ctx.getLogger("dev.strata");
    dataLevel = strata.getLevel();
    strata.setLevel(
        Level.DEBUG); // the most verbose the code logs: secrets must not be there either
    logs.start();
    ctx.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(logs);
    cloud = TestCloud.start(dir, TestDb.SQLITE, b -> b.inferenceAuth(true));
    viewer = apiKey(Role.VIEWER);
    deployer = apiKey(Role.DEPLOYER);
    JsonNode token =
        cloud.admin.expect(
            201,
            cloud.admin.post(
                "/api/v1/enrollment-tokens",
                Map.of("description", "test", "labels", Map.of("site", "lab"))));
    enrollmentToken = token.get("token").asText();
    JsonNode enrolled =
        cloud
            .anonymous()
            .expect(
                201,
                cloud
                    .anonymous()
                    .post(
                        "/api/v1/nodes/enroll",
                        Map.of("token", enrollmentToken, "name", "edge-1", "labels", Map.of())));
    node = enrolled.get("credential").asText();
    long v = cloud.publish("mlp", TestCloud.mlp(1));
    cloud.admin.expect(201, cloud.deployToCloud("mlp-cloud", "mlp", v));
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> cloud.admin.post("/v2/models/mlp/infer", TestCloud.INFER_BODY).status() == 200);
  }

  private static String apiKey(Role role) {
    return cloud
        .admin
        .expect(
            201,
            cloud.admin.post("/api/v1/api-keys", Map.of("name", "k-" + role, "role", role.name())))
        .get("token")
        .asText();
  }

  @AfterAll
  static void stop() {
    try {
      cloud.close();
    } finally {
      LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
      ctx.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(logs);
      ctx.getLogger("dev.strata").setLevel(dataLevel);
    }
  }

  private static String concrete(String pattern) {
    return pattern
        .replace("{model}", "m")
        .replace("{version}", "1")
        .replace("{variant}", "v")
        .replace("{sha256}", "a".repeat(64))
        .replace("{id}", "x")
        .replace("{job}", "j")
        .replace("{round}", "1")
        .replace("{name}", "d");
  }

  private static Api.Response call(Endpoint e, Optional<String> authorization) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(cloud.uri(concrete(e.pattern())))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json");
    authorization.ifPresent(a -> b.header("Authorization", a));
    b.method(
        e.method(),
        e.method().equals("GET") || e.method().equals("HEAD")
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString("{}"));
    return cloud.anonymous().send(b.build());
  }

  private static String describe(Endpoint e) {
    return e.method() + " " + e.pattern();
  }

  private static void assertUnauthenticated(Endpoint e, Api.Response r, String message) {
    assertThat(r.status()).as(describe(e)).isEqualTo(401);
    assertThat(r.header("WWW-Authenticate")).as(describe(e)).hasValue("Bearer realm=\"strata\"");
    if (!e.method().equals("HEAD")) {
      assertThat(r.json().get("code").asText()).as(describe(e)).isEqualTo("UNAUTHENTICATED");
      assertThat(r.json().get("error").asText()).as(describe(e)).contains(message);
    }
  }

  private static void assertForbidden(Endpoint e, Api.Response r, String message) {
    assertThat(r.status()).as(describe(e)).isEqualTo(403);
    if (!e.method().equals("HEAD")) {
      assertThat(r.json().get("code").asText()).as(describe(e)).isEqualTo("PERMISSION_DENIED");
      assertThat(r.json().get("error").asText()).as(describe(e)).contains(message);
    }
  }

  @Test
  void everyEndpointRefusesMissingWrongAndInsufficientCredentials() {
    List<Endpoint> endpoints = cloud.server.api().endpoints();
    assertThat(endpoints).hasSizeGreaterThan(40);
    int checked = 0;
    for (Endpoint e : endpoints) {
      if (e.access() instanceof Access.Public) {
        Api.Response r = call(e, Optional.empty());
        assertThat(r.status()).as(describe(e)).isNotIn(401, 403);
        continue;
      }
      assertUnauthenticated(e, call(e, Optional.empty()), "missing credentials");
      assertUnauthenticated(
          e,
          call(e, Optional.of("Bearer stk_000000000000.notthesecret")),
          "invalid, expired or revoked credentials");
      assertUnauthenticated(
          e, call(e, Optional.of("Bearer " + TestCloud.ADMIN_TOKEN + "x")), "invalid");
      assertUnauthenticated(
          e, call(e, Optional.of("Bearer " + enrollmentToken)), "invalid"); // not a login
      assertUnauthenticated(
          e, call(e, Optional.of("Basic YWRtaW46YWRtaW4=")), "unsupported Authorization scheme");
      switch (e.access()) {
        case Access.User u -> {
          assertForbidden(e, call(e, Optional.of("Bearer " + node)), "node credentials cannot use");
          if (u.role() == Role.DEPLOYER) {
            assertForbidden(
                e, call(e, Optional.of("Bearer " + viewer)), "role viewer (expected: deployer");
          }
          if (u.role() == Role.ADMIN) {
            assertForbidden(
                e, call(e, Optional.of("Bearer " + deployer)), "role deployer (expected: admin");
            assertForbidden(
                e, call(e, Optional.of("Bearer " + viewer)), "role viewer (expected: admin");
          }
        }
        case Access.Node n ->
            assertForbidden(
                e,
                call(e, Optional.of("Bearer " + TestCloud.ADMIN_TOKEN)),
                "node endpoints need a node credential");
        case Access.UserOrNode u -> {
          // any credential may call these; only missing and wrong ones are refused (above)
        }
        case Access.Public p -> throw new AssertionError();
      }
      checked++;
    }
    assertThat(checked).isGreaterThan(35);
  }

  @Test
  void inferenceTakesApiKeysAndNodeCredentialsOnly() {
    Api anonymous = cloud.anonymous();
    Api.Response none = anonymous.post("/v2/models/mlp/infer", TestCloud.INFER_BODY);
    assertThat(none.status()).isEqualTo(401);
    assertThat(none.header("WWW-Authenticate")).hasValue("Bearer realm=\"strata\"");
    assertThat(none.json().get("error").asText()).contains("missing credentials");
    assertThat(
            anonymous
                .as("stn_nope.nope")
                .post("/v2/models/mlp/infer", TestCloud.INFER_BODY)
                .status())
        .isEqualTo(401);
    assertThat(anonymous.as(node).post("/v2/models/mlp/infer", TestCloud.INFER_BODY).status())
        .isEqualTo(200);
    assertThat(anonymous.as(viewer).post("/v2/models/mlp/infer", TestCloud.INFER_BODY).status())
        .isEqualTo(200);
    assertThat(anonymous.get("/v2/health/ready").status()).isEqualTo(200);
    // repository changes fight the deployer: DEPLOYER only
    Api.Response unload = anonymous.as(node).post("/v2/repository/models/mlp/unload", null);
    assertThat(unload.status()).isEqualTo(403);
    assertThat(unload.json().get("error").asText()).contains("done by deployments");
    assertThat(anonymous.as(viewer).post("/v2/repository/index", null).status()).isEqualTo(403);
  }

  @Test
  void aRevokedApiKeyStopsWorkingForInferenceAtOnce() {
    JsonNode issued =
        cloud.admin.expect(
            201, cloud.admin.post("/api/v1/api-keys", Map.of("name", "short", "role", "VIEWER")));
    Api client = cloud.anonymous().as(issued.get("token").asText());
    assertThat(client.post("/v2/models/mlp/infer", TestCloud.INFER_BODY).status()).isEqualTo(200);
    cloud.admin.expect(
        200, cloud.admin.delete("/api/v1/api-keys/" + issued.get("key").get("id").asText()));
    assertThat(client.post("/v2/models/mlp/infer", TestCloud.INFER_BODY).status()).isEqualTo(401);
    assertThat(client.get("/api/v1/whoami").status()).isEqualTo(401);
  }

  @Test
  void grpcInferenceTakesNodeCredentials() {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", cloud.server.grpcPort().orElseThrow())
            .usePlaintext()
            .build();
    try {
      var stub =
          GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
      ModelMetadataRequest request = ModelMetadataRequest.newBuilder().setName("mlp").build();
      assertThat(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
      assertThatThrownBy(() -> stub.modelMetadata(request))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                assertThat(e.getStatus().getDescription()).contains("missing credentials");
              });
      for (String token : List.of(node, viewer)) {
        Metadata headers = new Metadata();
        headers.put(
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        assertThat(
                stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                    .modelMetadata(request)
                    .getName())
            .isEqualTo("mlp");
      }
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void noSecretReachesTheLogs() {
    // make sure the interesting paths have run: failures, audits, enrollment
    everyEndpointRefusesMissingWrongAndInsufficientCredentials();
    List<String> secrets = new ArrayList<>(List.of(TestCloud.ADMIN_TOKEN, viewer, deployer, node));
    secrets.add(enrollmentToken);
    List<String> lines = new ArrayList<>();
    for (ILoggingEvent e : List.copyOf(logs.list)) {
      lines.add(e.getFormattedMessage());
      if (e.getThrowableProxy() != null) {
        lines.add(ThrowableProxyUtil.asString(e.getThrowableProxy()));
      }
    }
    assertThat(lines).isNotEmpty();
    for (String secret : secrets) {
      String secretPart = secret.substring(secret.indexOf('.') + 1);
      assertThat(lines).noneMatch(l -> l.contains(secretPart));
    }
  }
}
