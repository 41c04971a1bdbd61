package dev.strata.protocol.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.strata.core.StrataException;
import dev.strata.protocol.OipNames;
import dev.strata.protocol.rest.EncodedBody;
import dev.strata.protocol.rest.RestCodec;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;

/**
 * A minimal OIP REST server on the JDK's HttpServer over {@link FakeModels}, routing the way a real
 * server would and using {@link RestCodec} for every body.
 */
final class FakeRestServer implements AutoCloseable {
  private final FakeModels models;
  private final RestCodec codec = new RestCodec();
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();

  /** "remote-address content-type request-id" of each infer call. */
  final ConcurrentLinkedQueue<String> inferCalls = new ConcurrentLinkedQueue<>();

  /** The Authorization header of each infer call that had one. */
  final ConcurrentLinkedQueue<String> authorizations = new ConcurrentLinkedQueue<>();

  FakeRestServer(FakeModels models) throws IOException {
    this(models, Optional.empty());
  }

  /** Serves HTTPS with {@code tls} when given. */
  FakeRestServer(FakeModels models, Optional<SSLContext> tls) throws IOException {
    this.models = models;
    InetSocketAddress address = new InetSocketAddress("127.0.0.1", 0);
    if (tls.isPresent()) {
      HttpsServer https = HttpsServer.create(address, 64);
      https.setHttpsConfigurator(new HttpsConfigurator(tls.get()));
      server = https;
    } else {
      server = HttpServer.create(address, 64);
    }
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      byte[] body = ex.getRequestBody().readAllBytes();
      try {
        route(ex, body);
      } catch (StrataException e) {
        send(ex, e.code().httpStatus(), "application/json", codec.error(e));
      }
    }
  }

  private void route(HttpExchange ex, byte[] body) throws IOException {
    List<String> path =
        Arrays.stream(ex.getRequestURI().getRawPath().split("/"))
            .filter(s -> !s.isEmpty())
            .map(s -> URLDecoder.decode(s, StandardCharsets.UTF_8))
            .toList();
    String method = ex.getRequestMethod();
    if (path.equals(List.of("v2", "health", "live"))
        || path.equals(List.of("v2", "health", "ready"))) {
      send(ex, 200, "text/plain", new byte[0]);
    } else if (path.equals(List.of("v2"))) {
      json(ex, codec.serverMetadata(models.serverMetadata()));
    } else if (path.equals(List.of("v2", "models", "stats"))) {
      json(ex, codec.statistics(models.statistics(Optional.empty())));
    } else if (path.equals(List.of("v2", "repository", "index")) && method.equals("POST")) {
      json(
          ex,
          codec.repositoryIndex(
              models.index(codec.decodeRepositoryIndexRequest(body, 0, body.length))));
    } else if (path.size() == 5 && path.get(1).equals("repository") && method.equals("POST")) {
      codec.decodeRepositoryRequest(body, 0, body.length);
      if (path.get(4).equals("load")) {
        models.load(path.get(3));
      } else {
        models.unload(path.get(3));
      }
      send(ex, 200, "application/json", new byte[0]);
    } else if (path.size() >= 3 && path.get(1).equals("models")) {
      model(ex, path, body);
    } else {
      throw StrataException.notFound("no route for %s %s", method, ex.getRequestURI());
    }
  }

  private void model(HttpExchange ex, List<String> path, byte[] body) throws IOException {
    String model = path.get(2);
    Optional<String> version = Optional.empty();
    int next = 3;
    if (path.size() >= 5 && path.get(3).equals("versions")) {
      version = Optional.of(path.get(4));
      next = 5;
    }
    String action = path.size() > next ? path.get(next) : "";
    switch (action) {
      case "" -> json(ex, codec.modelMetadata(models.modelMetadata(model, version)));
      case "ready" -> send(ex, models.modelReady(model) ? 200 : 400, "text/plain", new byte[0]);
      case "stats" -> json(ex, codec.statistics(models.statistics(Optional.of(model))));
      case "infer" -> infer(ex, model, version, body);
      default -> throw StrataException.notFound("no route for %s", ex.getRequestURI());
    }
  }

  private void infer(HttpExchange ex, String model, Optional<String> version, byte[] body)
      throws IOException {
    String header = ex.getRequestHeaders().getFirst(OipNames.INFERENCE_HEADER_CONTENT_LENGTH);
    OptionalInt headerLength =
        header == null
            ? OptionalInt.empty()
            : OptionalInt.of(RestCodec.parseInferenceHeaderContentLength(header));
    RestCodec.DecodedInfer decoded =
        codec.decodeInfer(model, version, body, 0, body.length, headerLength);
    String id = decoded.request().id();
    String authorization = ex.getRequestHeaders().getFirst("Authorization");
    if (authorization != null) {
      authorizations.add(authorization);
    }
    inferCalls.add(
        ex.getRemoteAddress() + " " + ex.getRequestHeaders().getFirst("Content-Type") + " " + id);
    if (id.equals("close-after")) {
      ex.getResponseHeaders().set("Connection", "close");
    }
    EncodedBody out = codec.encodeInfer(models.infer(decoded.request()), decoded.format());
    out.inferenceHeaderContentLength()
        .ifPresent(
            l ->
                ex.getResponseHeaders()
                    .set(OipNames.INFERENCE_HEADER_CONTENT_LENGTH, Integer.toString(l)));
    ex.getResponseHeaders().set("Content-Type", out.contentType());
    ex.sendResponseHeaders(200, out.contentLength());
    try (OutputStream os = ex.getResponseBody()) {
      out.writeTo(os);
    }
  }

  private static void json(HttpExchange ex, byte[] body) throws IOException {
    send(ex, 200, "application/json", body);
  }

  private static void send(HttpExchange ex, int status, String type, byte[] body)
      throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream os = ex.getResponseBody()) {
        os.write(body);
      }
    }
  }
}
