package dev.strata.registry.auth;

import static dev.strata.registry.StrataAssertions.assertCode;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.api.ApiKey;
import dev.strata.api.CreateApiKeyRequest;
import dev.strata.api.CreateEnrollmentTokenRequest;
import dev.strata.api.IssuedApiKey;
import dev.strata.api.Role;
import dev.strata.control.EnrollRequest;
import dev.strata.control.Enrollment;
import dev.strata.core.ErrorCode;
import dev.strata.registry.Registry;
import dev.strata.registry.RegistryConfig;
import dev.strata.registry.RegistryFixture;
import dev.strata.registry.testing.TestDb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

@ParameterizedClass
@EnumSource(TestDb.class)
class AuthenticatorTest {
  @Parameter TestDb db;
  @TempDir Path dir;
  RegistryFixture fx;
  Authenticator auth;
  ApiKeys keys;

  @BeforeEach
  void open() {
    fx = new RegistryFixture(db, dir);
    auth = fx.registry().authenticator();
    keys = fx.registry().apiKeys();
  }

  @AfterEach
  void close() {
    if (fx != null) { // null when the fixture could not open
      fx.close();
    }
  }

  @Test
  void generatedAdminTokenIsShownOnceAndStoredHashed() throws Exception {
    RegistryConfig config = fx.config();
    RegistryConfig generated =
        new RegistryConfig(
            config.dataDir(),
            config.database(),
            config.maxArtifactBytes(),
            Optional.empty(),
            config.fleet(),
            config.artifactGcMinAge(),
            config.telemetry());
    String token;
    fx.registry().close();
    try (Registry first = Registry.open(generated, fx.clock)) {
      token = first.generatedAdminToken().orElseThrow();
      assertThat(first.authenticator().authenticate(token))
          .isEqualTo(new UserPrincipal("admin", "admin", Role.ADMIN));
    }
    try (Registry second = Registry.open(generated, fx.clock)) {
      assertThat(second.generatedAdminToken()).isEmpty();
      assertThat(second.authenticator().requireRole(token, Role.ADMIN).role())
          .isEqualTo(Role.ADMIN);
    }
    if (db == TestDb.SQLITE) {
      byte[] file = Files.readAllBytes(config.dataDir().resolve("registry.db"));
      assertThat(new String(file, java.nio.charset.StandardCharsets.ISO_8859_1))
          .doesNotContain(token.substring(10));
    }
    fx.reopen();
  }

  @Test
  void configuredAdminTokenAuthenticates() {
    assertThat(auth.requireRole(RegistryFixture.ADMIN_TOKEN, Role.ADMIN).id()).isEqualTo("admin");
    assertCode(
        () -> auth.authenticate("wrong-token-wrong-token"), ErrorCode.UNAUTHENTICATED, "invalid");
    assertCode(() -> auth.authenticate(""), ErrorCode.UNAUTHENTICATED, "missing");
  }

  @Test
  void apiKeysCarryRoles() {
    IssuedApiKey viewer =
        keys.create(new CreateApiKeyRequest("dashboard", Role.VIEWER, Optional.empty()));
    IssuedApiKey deployer =
        keys.create(new CreateApiKeyRequest("ci", Role.DEPLOYER, Optional.empty()));
    assertThat(viewer.toString()).doesNotContain(viewer.token());
    assertThat(auth.requireRole(viewer.token(), Role.VIEWER).name()).isEqualTo("dashboard");
    assertCode(
        () -> auth.requireRole(viewer.token(), Role.DEPLOYER),
        ErrorCode.PERMISSION_DENIED,
        "has role viewer (expected: deployer or higher)");
    assertThat(auth.requireRole(deployer.token(), Role.DEPLOYER).role()).isEqualTo(Role.DEPLOYER);
    assertCode(
        () -> auth.requireRole(deployer.token(), Role.ADMIN), ErrorCode.PERMISSION_DENIED, "admin");
    keys.revoke(deployer.key().id());
    assertCode(() -> auth.authenticate(deployer.token()), ErrorCode.UNAUTHENTICATED, "revoked");
    assertThat(keys.list())
        .filteredOn(k -> k.revokedAt().isPresent())
        .extracting(ApiKey::name)
        .containsExactly("ci");
    String forged = deployer.token().substring(0, deployer.token().indexOf('.') + 1) + "forged";
    assertCode(() -> auth.authenticate(forged), ErrorCode.UNAUTHENTICATED, "invalid");
  }

  @Test
  void apiKeysExpire() {
    IssuedApiKey k =
        keys.create(new CreateApiKeyRequest("temp", Role.ADMIN, Optional.of(Duration.ofHours(1))));
    assertThat(auth.authenticate(k.token())).isInstanceOf(UserPrincipal.class);
    fx.clock.advance(Duration.ofHours(2));
    assertCode(() -> auth.authenticate(k.token()), ErrorCode.UNAUTHENTICATED, "expired");
  }

  @Test
  void nodeCredentialsAreForNodeEndpointsOnly() {
    var fleet = fx.registry().fleet();
    String token =
        fleet.createEnrollmentToken(CreateEnrollmentTokenRequest.withLabels(Map.of())).token();
    Enrollment e = fleet.enroll(new EnrollRequest(token, "edge-1", Map.of()));
    assertThat(auth.requireNode(e.credential())).isEqualTo(new NodePrincipal(e.nodeId(), "edge-1"));
    assertCode(
        () -> auth.requireRole(e.credential(), Role.VIEWER),
        ErrorCode.PERMISSION_DENIED,
        "management API");
    assertCode(
        () -> auth.requireNode(RegistryFixture.ADMIN_TOKEN),
        ErrorCode.PERMISSION_DENIED,
        "node credential");
    assertCode(() -> auth.authenticate(token), ErrorCode.UNAUTHENTICATED, "invalid");
  }
}
