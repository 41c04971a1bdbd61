package dev.strata.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.control.Sha256;
import dev.strata.registry.testing.TestDb;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Artifact uploads stream to the store (far over the buffered request limit), are size-limited and
 * digest-verified, and leave nothing behind when refused or broken; downloads are whole or ranged.
 */
class ArtifactIT {
  private static final long MAX_ARTIFACT = 6L << 20;

  @TempDir Path dir;
  private TestCloud cloud;

  @BeforeEach
  void start() {
    cloud = TestCloud.start(dir, TestDb.SQLITE, b -> b.maxArtifactBytes(MAX_ARTIFACT));
  }

  @AfterEach
  void stop() {
    cloud.close();
  }

  private static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** No upload left a temporary file, and no object but the ones named is stored. */
  private void assertStoreHolds(String... sha256) throws Exception {
    Path artifacts = dir.resolve("artifacts");
    try (Stream<Path> tmp = Files.list(artifacts.resolve("tmp"))) {
      assertThat(tmp).isEmpty();
    }
    try (Stream<Path> objects = Files.walk(artifacts.resolve("sha256"))) {
      assertThat(objects.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder(sha256);
    }
  }

  @Test
  void uploadsStreamFarOverTheRequestLimitAndDownloadWhole() throws Exception {
    byte[] data = random(5 << 20, 1); // the buffered request limit is 1 MiB
    String sha = Sha256.hex(data);
    Api.Response r = cloud.admin.upload(data, Map.of());
    JsonNode a = cloud.admin.expect(201, r);
    assertThat(a.get("sha256").asText()).isEqualTo(sha);
    assertThat(a.get("size").asLong()).isEqualTo(data.length);
    assertThat(r.header("Location")).hasValue("/api/v1/artifacts/" + sha);

    HttpResponse<byte[]> download =
        HttpClient.newHttpClient()
            .send(
                cloud.admin.request("/api/v1/artifacts/" + sha).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
    assertThat(download.statusCode()).isEqualTo(200);
    assertThat(download.headers().firstValue("ETag")).hasValue("\"" + sha + "\"");
    assertThat(download.body()).isEqualTo(data);

    // announcing stored content answers 200 at once, without reading or storing anything new
    JsonNode again =
        cloud.admin.expect(200, cloud.admin.upload(data, Map.of("X-Strata-Sha256", sha)));
    assertThat(again.get("sha256").asText()).isEqualTo(sha);
    assertStoreHolds(sha);
  }

  @Test
  void anUploadOverTheLimitIs413AndLeavesNothing() throws Exception {
    Api.Response r = cloud.admin.upload(random((int) MAX_ARTIFACT + 1, 2), Map.of());
    assertThat(r.status()).isEqualTo(413);
    assertThat(r.json().get("error").asText()).contains("more than " + MAX_ARTIFACT + " bytes");
    assertStoreHolds();
  }

  @Test
  void aDigestMismatchIs400AndLeavesNothing() throws Exception {
    byte[] data = random(100_000, 3);
    String wrong = "0".repeat(64);
    Api.Response r = cloud.admin.upload(data, Map.of("X-Strata-Sha256", wrong));
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("error").asText()).contains(Sha256.hex(data)).contains(wrong);

    // RFC 3230 Digest header works the same; two headers that disagree are refused
    String b64 = Base64.getEncoder().encodeToString(HexFormat.of().parseHex(wrong));
    assertThat(cloud.admin.upload(data, Map.of("Digest", "sha-256=" + b64)).status())
        .isEqualTo(400);
    Api.Response both =
        cloud.admin.upload(
            data, Map.of("X-Strata-Sha256", Sha256.hex(data), "Digest", "sha-256=" + b64));
    assertThat(both.json().get("error").asText()).contains("disagree");
    assertThat(
            cloud.admin.upload(data, Map.of("X-Strata-Sha256", "abc")).json().get("error").asText())
        .contains("X-Strata-Sha256: abc (expected: 64 lowercase hex characters)");
    assertStoreHolds();
  }

  @Test
  void aBrokenUploadLeavesNothing() throws Exception {
    try (Socket s = new Socket("127.0.0.1", cloud.server.httpPort())) {
      OutputStream out = s.getOutputStream();
      out.write(
          ("POST /api/v1/artifacts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                  + TestCloud.ADMIN_TOKEN
                  + "\r\nContent-Length: 4000000\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(random(1 << 20, 4));
      out.flush();
      // the upload has started: its temporary file exists
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> count(dir.resolve("artifacts").resolve("tmp")) == 1);
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> count(dir.resolve("artifacts").resolve("tmp")) == 0);
    assertStoreHolds();
  }

  private static long count(Path d) throws Exception {
    try (Stream<Path> s = Files.list(d)) {
      return s.count();
    }
  }

  @Test
  void rangedDownloadsResumeAndHeadDescribes() throws Exception {
    byte[] data = random(300_000, 5);
    String sha = cloud.admin.expect(201, cloud.admin.upload(data, Map.of())).get("sha256").asText();
    HttpClient client = HttpClient.newHttpClient();
    String path = "/api/v1/artifacts/" + sha;

    HttpResponse<byte[]> from =
        client.send(
            cloud.admin.request(path).header("Range", "bytes=100000-").GET().build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(from.statusCode()).isEqualTo(206);
    assertThat(from.headers().firstValue("Content-Range")).hasValue("bytes 100000-299999/300000");
    assertThat(from.body()).isEqualTo(Arrays.copyOfRange(data, 100_000, 300_000));

    HttpResponse<byte[]> middle =
        client.send(
            cloud.admin.request(path).header("Range", "bytes=10-19").GET().build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(middle.body()).isEqualTo(Arrays.copyOfRange(data, 10, 20));

    HttpResponse<byte[]> suffix =
        client.send(
            cloud.admin.request(path).header("Range", "bytes=-5").GET().build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(suffix.body()).isEqualTo(Arrays.copyOfRange(data, 299_995, 300_000));

    HttpResponse<String> past =
        client.send(
            cloud.admin.request(path).header("Range", "bytes=300000-").GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(past.statusCode()).isEqualTo(416);
    assertThat(past.headers().firstValue("Content-Range")).hasValue("bytes */300000");
    assertThat(past.body()).contains("INVALID_ARGUMENT");

    HttpResponse<String> head =
        client.send(
            cloud.admin.request(path).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.headers().firstValueAsLong("Content-Length")).hasValue(300_000);
    assertThat(head.headers().firstValue("Accept-Ranges")).hasValue("bytes");
    assertThat(head.body()).isEmpty();

    assertThat(cloud.admin.get("/api/v1/artifacts/" + "b".repeat(64)).status()).isEqualTo(404);
    assertThat(cloud.admin.get("/api/v1/artifacts/nothex").status()).isEqualTo(400);
  }

  @Test
  void garbageCollectionSparesReferencedAndRecentArtifacts() throws Exception {
    cloud.publish("mlp", TestCloud.mlp(1));
    byte[] loose = random(1000, 6);
    cloud.admin.expect(201, cloud.admin.upload(loose, Map.of()));
    JsonNode gc = cloud.admin.expect(200, cloud.admin.post("/api/v1/artifacts:gc", null));
    // one artifact is a variant's, the other younger than the grace period (an upload whose
    // variant may be on its way): both stay
    assertThat(gc.get("deleted")).isEmpty();
    assertThat(gc.get("bytesFreed").asLong()).isZero();
    assertStoreHolds(Sha256.hex(TestCloud.mlp(1)), Sha256.hex(loose));
  }
}
