package dev.strata.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.strata.api.CloudApiClient;
import dev.strata.control.ArtifactManifest;
import dev.strata.control.ManifestCodec;
import dev.strata.control.ManifestVerificationException;
import dev.strata.control.ManifestVerifier;
import dev.strata.control.PublicKeys;
import dev.strata.control.Sha256;
import dev.strata.control.SignedManifest;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Downloads resume: a server that cuts the connection mid-file leaves a partial file, and the next
 * attempt asks for the rest with a Range request; the result is verified before it gets its name.
 */
class ArtifactDownloadIT {
  static final int SIZE = 300_000;

  @TempDir Path dir;
  HttpServer server;
  final ExecutorService handlers = Executors.newCachedThreadPool();
  byte[] content = new byte[SIZE];
  final List<String> ranges = new CopyOnWriteArrayList<>();
  final AtomicInteger cutsLeft = new AtomicInteger();
  final AtomicInteger stallsLeft = new AtomicInteger();
  final CountDownLatch endStalls = new CountDownLatch(1);
  volatile boolean ignoreRanges;
  CloudApiClient api;

  @BeforeEach
  void start() throws IOException {
    new Random(7).nextBytes(content);
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
    server.createContext("/api/v1/artifacts/", this::serve);
    server.setExecutor(handlers);
    server.start();
    api = client(Duration.ofSeconds(5));
  }

  /** The edge's client of this server, with a node credential. */
  private CloudApiClient client(Duration timeout) {
    return CloudApiClient.builder(URI.create("http://127.0.0.1:" + server.getAddress().getPort()))
        .token("cred")
        .connectTimeout(Duration.ofSeconds(2))
        .timeout(timeout)
        .build();
  }

  @AfterEach
  void stop() {
    endStalls.countDown();
    api.close();
    server.stop(0);
    handlers.shutdownNow();
  }

  /** Whole or ranged; while cuts are left, sends a third of what it promised and hangs up. */
  private void serve(HttpExchange ex) throws IOException {
    String range = ex.getRequestHeaders().getFirst("Range");
    int from = 0;
    if (range != null) {
      ranges.add(range);
      if (!ignoreRanges) {
        from = Integer.parseInt(range.substring("bytes=".length(), range.indexOf('-')));
      }
    }
    int length = SIZE - from;
    if (from > 0) {
      ex.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (SIZE - 1) + "/" + SIZE);
    }
    ex.sendResponseHeaders(from > 0 ? 206 : 200, length);
    OutputStream out = ex.getResponseBody();
    if (cutsLeft.getAndDecrement() > 0) {
      out.write(content, from, length / 3);
      out.flush();
      ex.close(); // short of Content-Length: the client sees the connection end early
      return;
    }
    if (stallsLeft.getAndDecrement() > 0) {
      out.write(content, from, length / 3);
      out.flush();
      try {
        endStalls.await(30, TimeUnit.SECONDS); // silence, as a partitioned network gives
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      ex.close();
      return;
    }
    out.write(content, from, length);
    out.close();
  }

  @Test
  void anInterruptedDownloadContinuesFromThePartialFile() throws Exception {
    Path partial = dir.resolve("a.partial");
    cutsLeft.set(1);
    assertThatThrownBy(() -> api.downloadArtifact("a", partial, SIZE))
        .isInstanceOf(IOException.class);
    long kept = Files.size(partial);
    assertThat(kept).isGreaterThan(0).isLessThan(SIZE);

    api.downloadArtifact("a", partial, SIZE);
    assertThat(ranges).containsExactly("bytes=" + kept + "-");
    assertThat(Files.readAllBytes(partial)).isEqualTo(content);
  }

  @Test
  void aDownloadThatStopsFlowingIsAbandonedAndResumed() throws Exception {
    Path partial = dir.resolve("s.partial");
    stallsLeft.set(1);
    try (CloudApiClient impatient = client(Duration.ofMillis(500))) {
      assertThatThrownBy(() -> impatient.downloadArtifact("s", partial, SIZE))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("no data for PT0.5S; will resume");
      assertThat(Thread.currentThread().isInterrupted()).isFalse();
      long kept = Files.size(partial);
      assertThat(kept).isGreaterThan(0).isLessThan(SIZE);
      impatient.downloadArtifact("s", partial, SIZE);
      assertThat(ranges).containsExactly("bytes=" + kept + "-");
    }
    assertThat(Files.readAllBytes(partial)).isEqualTo(content);
  }

  @Test
  void aServerThatIgnoresTheRangeRewritesTheFile() throws Exception {
    Path partial = dir.resolve("b.partial");
    cutsLeft.set(1);
    assertThatThrownBy(() -> api.downloadArtifact("b", partial, SIZE))
        .isInstanceOf(IOException.class);
    ignoreRanges = true;
    api.downloadArtifact("b", partial, SIZE);
    assertThat(Files.readAllBytes(partial)).isEqualTo(content);
  }

  @Test
  void theCacheVerifiesAResumedDownloadBeforeNamingIt() throws Exception {
    KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    String sha = Sha256.hex(content);
    SignedManifest signed = sign(keys, sha, SIZE);
    ManifestVerifier verifier = new ManifestVerifier(keys.getPublic());
    ArtifactCache cache = new ArtifactCache(Files.createDirectories(dir.resolve("artifacts")));
    ArtifactCache.Downloader downloader = (s, p, size) -> api.downloadArtifact(s, p, size);

    cutsLeft.set(2);
    assertThatThrownBy(() -> cache.fetch(signed, verifier, downloader))
        .isInstanceOf(IOException.class);
    assertThatThrownBy(() -> cache.fetch(signed, verifier, downloader))
        .isInstanceOf(IOException.class);
    assertThat(Files.exists(cache.file(sha))).isFalse();
    Path done = cache.fetch(signed, verifier, downloader);

    assertThat(done).isEqualTo(cache.file(sha));
    assertThat(Files.readAllBytes(done)).isEqualTo(content);
    assertThat(Files.exists(cache.partial(sha))).isFalse();
    assertThat(ranges).hasSize(2);
  }

  @Test
  void bytesThatDoNotMatchTheManifestNeverGetTheirName() throws Exception {
    KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    String otherSha = Sha256.hex(new byte[] {1});
    SignedManifest signed = sign(keys, otherSha, SIZE);
    ArtifactCache cache = new ArtifactCache(Files.createDirectories(dir.resolve("artifacts")));

    assertThatThrownBy(
            () ->
                cache.fetch(
                    signed,
                    new ManifestVerifier(keys.getPublic()),
                    (s, p, size) -> api.downloadArtifact(s, p, size)))
        .isInstanceOf(ManifestVerificationException.class)
        .hasMessageContaining("expected: " + otherSha);
    assertThat(Files.list(dir.resolve("artifacts"))).isEmpty();
  }

  private static SignedManifest sign(KeyPair keys, String sha, long size) throws Exception {
    ArtifactManifest m =
        new ArtifactManifest(
            ArtifactManifest.CURRENT_SCHEMA,
            "m",
            1,
            "fp32",
            "onnx",
            sha,
            size,
            Instant.now(),
            PublicKeys.keyId(keys.getPublic()));
    Signature s = Signature.getInstance("Ed25519");
    s.initSign(keys.getPrivate());
    s.update(ManifestCodec.canonical(m));
    return new SignedManifest(m, Base64.getEncoder().encodeToString(s.sign()));
  }
}
