package dev.strata.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.strata.registry.testing.TestDb;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a request body can make the cloud hold: a client without credentials gets its 401 before the
 * server reads a byte of the body it announced; a client that sends half a body and stops is
 * answered after the read timeout and its partial upload is removed. The data directory and
 * database are the owner's only.
 */
class BodyLimitsIT {
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(1);

  @TempDir static Path dir;
  static TestCloud cloud;

  @BeforeAll
  static void start() {
    cloud =
        TestCloud.start(dir.resolve("cloud"), TestDb.SQLITE, b -> b.bodyReadTimeout(READ_TIMEOUT));
  }

  @AfterAll
  static void stop() {
    cloud.close();
  }

  /** Sends a request head (and {@code body}), then waits for the answer without sending more. */
  private static String exchange(String head, byte[] body) throws IOException {
    try (Socket s = new Socket("127.0.0.1", cloud.server.httpPort())) {
      s.setSoTimeout(15_000);
      OutputStream out = s.getOutputStream();
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      return statusLineAndBody(s.getInputStream());
    }
  }

  private static String statusLineAndBody(InputStream in) throws IOException {
    StringBuilder text = new StringBuilder();
    byte[] buf = new byte[4096];
    int n;
    // The answer has a Content-Length; reading until the error object closes is enough here.
    while ((n = in.read(buf)) > 0) {
      text.append(new String(buf, 0, n, StandardCharsets.UTF_8));
      if (text.indexOf("\r\n\r\n") >= 0 && text.toString().trim().endsWith("}")) {
        break;
      }
    }
    return text.toString();
  }

  @Test
  void aClientWithoutCredentialsIsRefusedBeforeItsBodyIsRead() throws IOException {
    for (String path : new String[] {"/api/v1/models", "/api/v1/artifacts"}) {
      long start = System.nanoTime();
      // 60 MB announced, none of it sent: only an answer that needs no body can arrive.
      String answer =
          exchange(
              "POST "
                  + path
                  + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  + "Content-Length: 60000000\r\n\r\n",
              new byte[0]);
      assertThat(answer).startsWith("HTTP/1.1 401").contains("missing credentials");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }
    String bad =
        exchange(
            "POST /api/v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n"
                + "Content-Length: 60000000\r\n\r\n",
            new byte[0]);
    assertThat(bad).startsWith("HTTP/1.1 401").contains("invalid, expired or revoked");
  }

  @Test
  void anAuthenticatedBodyOverTheLimitIsRefusedBeforeItIsRead() throws IOException {
    String answer =
        exchange(
            "POST /api/v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + TestCloud.ADMIN_TOKEN
                + "\r\nContent-Length: 60000000\r\n\r\n",
            new byte[0]);
    assertThat(answer).startsWith("HTTP/1.1 413").contains("over the limit of 1048576 bytes");
  }

  @Test
  void aStalledUploadEndsAfterTheReadTimeoutAndLeavesNoPartFile() throws IOException {
    Path partials = cloud.dataDir.resolve("artifacts").resolve("tmp");
    String answer =
        exchange(
            "POST /api/v1/artifacts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + TestCloud.ADMIN_TOKEN
                + "\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n",
            new byte[50_000]);
    assertThat(answer)
        .startsWith("HTTP/1.1 400")
        .contains("nothing received for PT1S after 50000 bytes");
    await().atMost(Duration.ofSeconds(5)).until(() -> count(partials) == 0);
    // the store still takes whole uploads
    assertThat(cloud.admin.upload(TestCloud.mlp(7), java.util.Map.of()).status()).isEqualTo(201);
  }

  @Test
  void aStalledJsonBodyEndsAfterTheReadTimeout() throws IOException {
    String answer =
        exchange(
            "POST /api/v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + TestCloud.ADMIN_TOKEN
                + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
            "{\"name\":".getBytes(StandardCharsets.UTF_8));
    assertThat(answer).startsWith("HTTP/1.1 400").contains("nothing received for PT1S");
  }

  @Test
  void theDataDirectoryAndDatabaseAreTheOwnersOnly() throws IOException {
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cloud.dataDir)))
        .isEqualTo("rwx------");
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(cloud.dataDir.resolve("registry.db"))))
        .isEqualTo("rw-------");
    try (Stream<Path> files = Files.list(cloud.dataDir)) {
      for (Path wal :
          files.filter(p -> p.getFileName().toString().startsWith("registry.db-")).toList()) {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(wal)))
            .as(wal.toString())
            .isEqualTo("rw-------");
      }
    }
  }

  private static long count(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.count();
    }
  }
}
