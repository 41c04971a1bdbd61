package dev.strata.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.core.testing.SelfSignedCertificate;
import dev.strata.registry.testing.TestDb;
import dev.strata.serving.TlsConfig;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code strata cloud --tls-cert --tls-key}: the management API over HTTPS. */
class CloudTlsIT {
  @TempDir Path dir;

  @Test
  void theApiAnswersOverHttpsWithTheConfiguredCertificate() throws Exception {
    SelfSignedCertificate cert = SelfSignedCertificate.create(dir.resolve("tls"));
    TlsConfig tls = new TlsConfig(cert.certificate(), cert.privateKey());
    try (TestCloud cloud = TestCloud.start(dir.resolve("data"), TestDb.SQLITE, b -> b.tls(tls))) {
      assertThat(cloud.server.httpUri().getScheme()).isEqualTo("https");
      HttpResponse<String> r =
          HttpClient.newBuilder()
              .sslContext(cert.clientContext())
              .build()
              .send(
                  HttpRequest.newBuilder(cloud.uri("/api/v1/whoami"))
                      .header("Authorization", "Bearer " + TestCloud.ADMIN_TOKEN)
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).contains("\"role\":\"ADMIN\"");
    }
  }
}
