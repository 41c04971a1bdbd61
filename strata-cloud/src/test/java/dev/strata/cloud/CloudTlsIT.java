package dev.strata.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.serving.TlsConfig;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code strata cloud --tls-cert --tls-key}: the management API over HTTPS. */
class CloudTlsIT {
  @TempDir Path dir;

  @Test
  void theApiAnswersOverHttpsWithTheConfiguredCertificate() throws Exception {
    Path store = dir.resolve("server.p12");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Process p =
        new ProcessBuilder(
                keytool,
                "-genkeypair",
                "-alias",
                "cloud",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=ip:127.0.0.1",
                "-validity",
                "2",
                "-keystore",
                store.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                "changeit",
                "-keypass",
                "changeit")
            .redirectErrorStream(true)
            .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, "changeit".toCharArray());
    }
    Path cert = dir.resolve("cloud.crt");
    Path key = dir.resolve("cloud.key");
    Files.writeString(cert, pem("CERTIFICATE", ks.getCertificate("cloud").getEncoded()));
    Files.writeString(
        key,
        pem(
            "PRIVATE KEY",
            ((PrivateKey) ks.getKey("cloud", "changeit".toCharArray())).getEncoded()));

    try (TestCloud cloud =
        TestCloud.start(dir.resolve("data"), TestDb.SQLITE, b -> b.tls(new TlsConfig(cert, key)))) {
      assertThat(cloud.server.httpUri().getScheme()).isEqualTo("https");
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      HttpResponse<String> r =
          HttpClient.newBuilder()
              .sslContext(ssl)
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

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }
}
