package dev.strata.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.strata.runtime.ModelManager;
import dev.strata.runtime.RuntimeConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Server-sent events: pushed from another thread while the response goes out, each event reaching
 * the client as it is sent (not at the end), the connection reused after the stream ends, the
 * responses pipelined behind a stream kept until it ends, and a client that goes away tells the
 * producer at once.
 */
class EventStreamIT {
  @TempDir Path dir;
  private ModelManager runtime;
  private StrataServer server;
  private final HttpClient client = HttpClient.newHttpClient();
  private final CountDownLatch firstSeen = new CountDownLatch(1);
  private final CountDownLatch closedByClient = new CountDownLatch(1);
  private final AtomicBoolean sendFailedAfterClose = new AtomicBoolean();

  @BeforeEach
  void start() {
    runtime = ModelManager.create(RuntimeConfig.of(dir));
    HttpRoutes routes =
        HttpRoutes.create()
            .get("/count/{n}", call -> CompletableFuture.completedFuture(count(call)))
            .get("/waits", call -> CompletableFuture.completedFuture(waitsForTheClient()))
            .get("/endless", call -> CompletableFuture.completedFuture(endless()))
            .get("/plain", call -> CompletableFuture.completedFuture(HttpResult.text(200, "ok")));
    server =
        StrataServer.builder(
                ServingConfig.ephemeral().withIoThreads(1),
                runtime,
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
            .routes(routes)
            .start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private HttpResult count(HttpCall call) {
    int n = Integer.parseInt(call.pathParams().get("n"));
    EventStream events = EventStream.create();
    Thread.ofVirtual()
        .start(
            () -> {
              for (int i = 0; i < n; i++) {
                events.send("{\"i\":" + i + "}");
              }
              events.send("[DONE]");
              events.end();
            });
    return HttpResult.events(200, events);
  }

  /** Sends one event, then the second only once the client has seen the first. */
  private HttpResult waitsForTheClient() {
    EventStream events = EventStream.create();
    Thread.ofVirtual()
        .start(
            () -> {
              events.send("first");
              try {
                firstSeen.await(10, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              events.send("second");
              events.end();
            });
    return HttpResult.events(200, events);
  }

  private HttpResult endless() {
    EventStream events = EventStream.create();
    events.onClose(closedByClient::countDown);
    Thread.ofVirtual()
        .start(
            () -> {
              while (events.send("tick")) {
                try {
                  Thread.sleep(10);
                } catch (InterruptedException e) {
                  return;
                }
              }
              sendFailedAfterClose.set(events.isClosed());
            });
    return HttpResult.events(200, events);
  }

  @Test
  void eventsArriveInOrderAsAChunkedEventStream() throws Exception {
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(uri("/count/50")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue("text/event-stream");
    assertThat(r.headers().firstValue("transfer-encoding")).hasValue("chunked");
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      expected.add("data: {\"i\":" + i + "}");
    }
    expected.add("data: [DONE]");
    assertThat(r.body().lines().filter(l -> !l.isEmpty()).toList()).isEqualTo(expected);
    // the connection serves again
    assertThat(
            client
                .send(
                    HttpRequest.newBuilder(uri("/plain")).build(),
                    HttpResponse.BodyHandlers.ofString())
                .body())
        .isEqualTo("ok");
  }

  @Test
  void eachEventReachesTheClientWhenSent() throws Exception {
    HttpResponse<java.util.stream.Stream<String>> r =
        client.send(
            HttpRequest.newBuilder(uri("/waits")).build(), HttpResponse.BodyHandlers.ofLines());
    List<String> lines = new ArrayList<>();
    r.body()
        .filter(l -> !l.isEmpty())
        .forEach(
            l -> {
              lines.add(l);
              firstSeen.countDown(); // the server sends "second" only after this
            });
    assertThat(lines).containsExactly("data: first", "data: second");
  }

  @Test
  void responsesPipelinedBehindAStreamWaitForItsEnd() throws Exception {
    try (Socket s = new Socket("127.0.0.1", server.httpPort())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(
          ("GET /count/3 HTTP/1.1\r\nHost: x\r\n\r\nGET /plain HTTP/1.1\r\nHost: x\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in =
          new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      StringBuilder all = new StringBuilder();
      int c;
      while ((c = in.read()) != -1) {
        all.append((char) c);
        if (all.indexOf("HTTP/1.1 200", 1) > 0 && all.toString().endsWith("\r\n\r\nok")) {
          break; // the second response, whole ("ok" has no line end)
        }
      }
      String text = all.toString();
      int done = text.indexOf("data: [DONE]");
      int second = text.indexOf("HTTP/1.1 200", 1);
      assertThat(done).isPositive();
      assertThat(second).as(text).isGreaterThan(done);
      assertThat(text.substring(done, second)).contains("\r\n0\r\n\r\n"); // the last chunk
    }
  }

  @Test
  void aClientThatGoesAwayStopsTheProducer() throws Exception {
    try (Socket s = new Socket("127.0.0.1", server.httpPort())) {
      s.getOutputStream()
          .write("GET /endless HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      BufferedReader in =
          new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      String line;
      while ((line = in.readLine()) != null && !line.equals("data: tick")) {
        // headers and the first chunk's size
      }
    }
    assertThat(closedByClient.await(10, TimeUnit.SECONDS)).isTrue();
    await().atMost(Duration.ofSeconds(10)).untilTrue(sendFailedAfterClose);
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.httpPort() + path);
  }
}
