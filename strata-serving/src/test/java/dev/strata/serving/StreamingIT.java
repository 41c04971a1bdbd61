package dev.strata.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.ErrorCode;
import dev.strata.runtime.ModelManager;
import dev.strata.runtime.RuntimeConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streaming routes: request bodies far over {@code maxRequestBytes} reach the handler as a stream
 * with back-pressure, early answers reach the client, a broken upload fails the handler's read;
 * streamed responses go out whole, HEAD gets their length, a short stream cuts the connection.
 */
class StreamingIT {
  private static final int MAX_REQUEST_BYTES = 1 << 20;

  @TempDir Path dir;
  private ModelManager runtime;
  private StrataServer server;
  private final HttpClient client = HttpClient.newHttpClient();
  private final AtomicReference<Throwable> handlerFailure = new AtomicReference<>();
  private final AtomicLong maxBuffered = new AtomicLong();
  private final CountDownLatch slowReaderStarted = new CountDownLatch(1);
  private final CountDownLatch slowReaderGo = new CountDownLatch(1);

  @BeforeEach
  void start() {
    runtime = ModelManager.create(RuntimeConfig.of(dir));
    HttpRoutes routes =
        HttpRoutes.create()
            .postStreaming("/upload/{name}", this::digest)
            .postStreaming("/refuse", call -> HttpErrors.of(ErrorCode.UNAUTHENTICATED, "no"))
            .postStreaming("/slow", this::slowReader)
            .get("/download/{size}", call -> CompletableFuture.completedFuture(download(call)))
            .get(
                "/short",
                call ->
                    CompletableFuture.completedFuture(
                        HttpResult.stream(
                            200,
                            HttpResult.OCTET_STREAM,
                            Map.of(),
                            1000,
                            new java.io.ByteArrayInputStream(new byte[10]))));
    server =
        StrataServer.builder(
                ServingConfig.ephemeral().withMaxRequestBytes(MAX_REQUEST_BYTES).withIoThreads(1),
                runtime,
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
            .routes(routes)
            .start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private HttpResult digest(StreamingCall call) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    long n = 0;
    byte[] buf = new byte[8192];
    try {
      int r;
      while ((r = call.body().read(buf)) != -1) {
        md.update(buf, 0, r);
        n += r;
      }
    } catch (IOException e) {
      handlerFailure.set(e);
      throw e;
    }
    return HttpResult.text(
        200, call.pathParam("name") + " " + n + " " + HexFormat.of().formatHex(md.digest()));
  }

  private HttpResult slowReader(StreamingCall call) throws Exception {
    slowReaderStarted.countDown();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    // Not reading: the server must stop reading the socket instead of buffering the upload.
    while (slowReaderGo.getCount() > 0 && System.nanoTime() < deadline) {
      maxBuffered.accumulateAndGet(call.body().available(), Math::max);
      slowReaderGo.await(20, TimeUnit.MILLISECONDS);
    }
    long n = call.body().transferTo(OutputStream.nullOutputStream());
    return HttpResult.text(200, Long.toString(n));
  }

  private static HttpResult download(HttpCall call) {
    long size = Long.parseLong(call.pathParam("size"));
    return HttpResult.stream(200, HttpResult.OCTET_STREAM, Map.of(), size, pattern(size));
  }

  private static InputStream pattern(long size) {
    return new InputStream() {
      long left = size;

      @Override
      public int read() {
        return left-- > 0 ? (int) (left & 0xff) : -1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (left <= 0) {
          return -1;
        }
        int n = (int) Math.min(len, left);
        for (int i = 0; i < n; i++) {
          left--;
          b[off + i] = (byte) (left & 0xff);
        }
        return n;
      }
    };
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.httpPort() + path);
  }

  @Test
  void bodiesFarOverTheRequestLimitStreamToTheHandler() throws Exception {
    byte[] data = new byte[24 << 20];
    new Random(7).nextBytes(data);
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(uri("/upload/big"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(data))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("big " + data.length + " " + sha);

    // chunked transfer encoding (no Content-Length) streams too
    r =
        client.send(
            HttpRequest.newBuilder(uri("/upload/chunked"))
                .POST(
                    HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(data)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.body()).isEqualTo("chunked " + data.length + " " + sha);
  }

  @Test
  void aSlowHandlerPushesBackInsteadOfBuffering() throws Exception {
    byte[] data = new byte[32 << 20];
    CompletableFuture<HttpResponse<String>> upload =
        client.sendAsync(
            HttpRequest.newBuilder(uri("/slow"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(data))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(slowReaderStarted.await(10, TimeUnit.SECONDS)).isTrue();
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> maxBuffered.get() >= 1 << 20);
    // While the handler does not read, the backlog stays bounded although the client has more.
    Awaitility.await()
        .during(Duration.ofMillis(500))
        .atMost(Duration.ofSeconds(2))
        .until(() -> maxBuffered.get() < 4L << 20 && !upload.isDone());
    slowReaderGo.countDown();
    assertThat(upload.get(30, TimeUnit.SECONDS).body()).isEqualTo(Long.toString(data.length));
    // 1 MiB high-water mark plus what one socket read may add; nowhere near the 32 MiB sent
    assertThat(maxBuffered.get()).isGreaterThan(0).isLessThan(4L << 20);
  }

  @Test
  void anEarlyAnswerReachesTheClientAndTheConnectionStaysUsable() throws Exception {
    try (Socket s = new Socket("127.0.0.1", server.httpPort())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      byte[] body = new byte[4 << 20];
      out.write(
          ("POST /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.write("GET /download/5 HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String responses = readAtLeast(s.getInputStream(), 2);
      assertThat(responses)
          .startsWith("HTTP/1.1 401 Unauthorized")
          .contains("WWW-Authenticate: Bearer realm=\"strata\"")
          .contains("{\"error\":\"no\",\"code\":\"UNAUTHENTICATED\"}")
          .contains("HTTP/1.1 200 OK");
    }
  }

  @Test
  void aBrokenUploadFailsTheHandlersRead() throws Exception {
    try (Socket s = new Socket("127.0.0.1", server.httpPort())) {
      OutputStream out = s.getOutputStream();
      out.write(
          "POST /upload/broken HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n"
              .getBytes(StandardCharsets.US_ASCII));
      out.write(new byte[5000]);
      out.flush();
    }
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> handlerFailure.get() != null);
    assertThat(handlerFailure.get())
        .isInstanceOf(IOException.class)
        .hasMessageContaining("connection closed before the request body was complete");
  }

  @Test
  void streamedResponsesGoOutWholeAndHeadGivesTheirLength() throws Exception {
    long size = 20L << 20;
    HttpResponse<InputStream> r =
        client.send(
            HttpRequest.newBuilder(uri("/download/" + size)).build(),
            HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.headers().firstValueAsLong("Content-Length")).hasValue(size);
    try (InputStream in = r.body();
        InputStream expected = pattern(size)) {
      assertThat(in.readAllBytes()).isEqualTo(expected.readAllBytes());
    }
    HttpResponse<String> head =
        client.send(
            HttpRequest.newBuilder(uri("/download/12345"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(head.headers().firstValueAsLong("Content-Length")).hasValue(12345);
    assertThat(head.body()).isEmpty();
  }

  @Test
  void aStreamEndingEarlyCutsTheConnection() {
    assertThatThrownBy(
            () ->
                client.send(
                    HttpRequest.newBuilder(uri("/short")).build(),
                    HttpResponse.BodyHandlers.ofByteArray()))
        .isInstanceOf(IOException.class);
  }

  /** Reads until {@code n} HTTP status lines have been seen (bodies here are small). */
  private static String readAtLeast(InputStream in, int n) throws IOException {
    StringBuilder sb = new StringBuilder();
    byte[] buf = new byte[4096];
    while (count(sb.toString(), "HTTP/1.1 ") < n) {
      int r = in.read(buf);
      if (r < 0) {
        break;
      }
      sb.append(new String(buf, 0, r, StandardCharsets.ISO_8859_1));
    }
    return sb.toString();
  }

  private static int count(String s, String what) {
    return s.split(java.util.regex.Pattern.quote(what), -1).length - 1;
  }
}
