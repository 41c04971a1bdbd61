package dev.strata.edge;

import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.strata.control.DesiredState;
import dev.strata.control.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.UnaryOperator;

/**
 * The network between an edge and its cloud, for tests: every request is forwarded as it is to the
 * cloud, and the answer back. It can go down (connections refused) and come back on the same port,
 * and it can change what the cloud sends: artifact bytes and desired states, as an attacker on the
 * path would. It knows nothing of the API beyond those two paths.
 */
final class CloudLink implements AutoCloseable {
  private static final Set<String> HOP_BY_HOP =
      Set.of(
          "connection",
          "content-length",
          "date",
          "expect",
          "host",
          "keep-alive",
          "transfer-encoding",
          "upgrade");

  private final URI cloud;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final ExecutorService handlers = Executors.newCachedThreadPool();
  final List<String> artifactRequests = new CopyOnWriteArrayList<>();
  volatile UnaryOperator<byte[]> artifactFilter = UnaryOperator.identity();
  volatile UnaryOperator<DesiredState> desiredStateFilter = UnaryOperator.identity();
  private HttpServer server;
  private int port;

  private CloudLink(URI cloud) {
    this.cloud = cloud;
  }

  /** A link to {@code cloud} on a free port of loopback. */
  static CloudLink to(URI cloud) {
    CloudLink link = new CloudLink(cloud);
    link.listen(0);
    return link;
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /** Down: connections are refused, open ones closed. */
  synchronized void stop() {
    if (server != null) {
      server.stop(0);
      server = null;
    }
  }

  /** Up again on the same port. */
  void restart() {
    await()
        .atMost(Duration.ofSeconds(20))
        .ignoreExceptions()
        .until(
            () -> {
              listen(port);
              return true;
            });
  }

  private synchronized void listen(int p) {
    if (server != null) {
      return;
    }
    try {
      HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", p), 64);
      s.createContext("/", this::forward);
      s.setExecutor(handlers);
      s.start();
      server = s;
      port = s.getAddress().getPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void forward(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getRawPath();
      String query = ex.getRequestURI().getRawQuery();
      byte[] body = ex.getRequestBody().readAllBytes();
      HttpRequest.Builder b =
          HttpRequest.newBuilder(cloud.resolve(path + (query == null ? "" : "?" + query)))
              .timeout(Duration.ofSeconds(30))
              .method(
                  ex.getRequestMethod(),
                  body.length == 0
                      ? HttpRequest.BodyPublishers.noBody()
                      : HttpRequest.BodyPublishers.ofByteArray(body));
      ex.getRequestHeaders()
          .forEach(
              (name, values) -> {
                if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))) {
                  values.forEach(v -> b.header(name, v));
                }
              });
      if (path.startsWith("/api/v1/artifacts/")) {
        artifactRequests.add(path);
      }
      HttpResponse<byte[]> r;
      try {
        r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (IOException e) {
        byte[] error =
            "{\"error\":\"the cloud is unreachable\",\"code\":\"UNAVAILABLE\"}"
                .getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(503, error.length);
        ex.getResponseBody().write(error);
        return;
      }
      byte[] answer = change(ex.getRequestMethod(), path, r.statusCode(), r.body());
      r.headers()
          .map()
          .forEach(
              (name, values) -> {
                if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))) {
                  ex.getResponseHeaders().put(name, values);
                }
              });
      boolean empty = answer.length == 0 || ex.getRequestMethod().equals("HEAD");
      ex.sendResponseHeaders(r.statusCode(), empty ? -1 : answer.length);
      if (!empty) {
        try (OutputStream out = ex.getResponseBody()) {
          out.write(answer);
        }
      }
    }
  }

  /** What the edge receives instead of what the cloud sent. */
  private byte[] change(String method, String path, int status, byte[] body) {
    if (!method.equals("GET") || status / 100 != 2) {
      return body;
    }
    if (path.startsWith("/api/v1/artifacts/")) {
      return artifactFilter.apply(body);
    }
    if (path.equals("/api/v1/nodes/self/desired-state")) {
      DesiredState s = Json.read(new String(body, StandardCharsets.UTF_8), DesiredState.class);
      return Json.writeBytes(desiredStateFilter.apply(s));
    }
    return body;
  }

  @Override
  public void close() {
    stop();
    handlers.shutdownNow();
    http.shutdownNow();
  }
}
