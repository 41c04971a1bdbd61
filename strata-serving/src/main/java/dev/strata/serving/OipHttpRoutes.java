package dev.strata.serving;

import dev.strata.core.ErrorCode;
import dev.strata.core.InferenceResponse;
import dev.strata.core.ServerMetadata;
import dev.strata.core.StrataException;
import dev.strata.protocol.OipNames;
import dev.strata.protocol.rest.EncodedBody;
import dev.strata.protocol.rest.RestCodec;
import dev.strata.runtime.InferenceService;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The Open Inference Protocol's REST endpoints (KServe V2 with Triton's statistics, repository,
 * model configuration, binary data and classification extensions) over an {@link InferenceService}.
 */
final class OipHttpRoutes {
  static final String HEADER_LENGTH = "Inference-Header-Content-Length";

  private static final byte[] LIVE = json("{\"live\":true}");
  private static final byte[] NOT_LIVE = json("{\"live\":false}");
  private static final byte[] READY = json("{\"ready\":true}");
  private static final byte[] NOT_READY = json("{\"ready\":false}");

  private final InferenceService service;
  private final ModelControl modelControl;
  private final RestCodec codec = new RestCodec();
  // Loading a model blocks until it is warm; that must not hold a network thread.
  private final ExecutorService control = Executors.newVirtualThreadPerTaskExecutor();

  private OipHttpRoutes(InferenceService service, ModelControl modelControl) {
    this.service = service;
    this.modelControl = modelControl;
  }

  static HttpRoutes create(InferenceService service) {
    return create(service, ModelControl.of(service));
  }

  /** The routes, with load and unload going to {@code modelControl}. */
  static HttpRoutes create(InferenceService service, ModelControl modelControl) {
    OipHttpRoutes r = new OipHttpRoutes(service, modelControl);
    return HttpRoutes.create()
        .get(
            "/v2/health/live",
            call -> done(service.live() ? ok(LIVE) : HttpResult.json(503, NOT_LIVE)))
        .get(
            "/v2/health/ready",
            call -> done(service.ready() ? ok(READY) : HttpResult.json(503, NOT_READY)))
        .get("/v2", call -> done(ok(r.codec.serverMetadata(serverMetadata(service)))))
        .get("/v2/models/stats", call -> r.stats(Optional.empty(), Optional.empty()))
        .get(
            "/v2/models/{model}/stats",
            call -> r.stats(Optional.of(call.pathParam("model")), Optional.empty()))
        .get(
            "/v2/models/{model}/versions/{version}/stats",
            call ->
                r.stats(
                    Optional.of(call.pathParam("model")), Optional.of(call.pathParam("version"))))
        .get("/v2/models/{model}", call -> r.metadata(call.pathParam("model"), Optional.empty()))
        .get(
            "/v2/models/{model}/versions/{version}",
            call -> r.metadata(call.pathParam("model"), Optional.of(call.pathParam("version"))))
        .get(
            "/v2/models/{model}/config",
            call -> r.config(call.pathParam("model"), Optional.empty()))
        .get(
            "/v2/models/{model}/versions/{version}/config",
            call -> r.config(call.pathParam("model"), Optional.of(call.pathParam("version"))))
        .get(
            "/v2/models/{model}/ready",
            call -> r.modelReady(call.pathParam("model"), Optional.empty()))
        .get(
            "/v2/models/{model}/versions/{version}/ready",
            call -> r.modelReady(call.pathParam("model"), Optional.of(call.pathParam("version"))))
        .post("/v2/models/{model}/infer", call -> r.infer(call, Optional.empty()))
        .post(
            "/v2/models/{model}/versions/{version}/infer",
            call -> r.infer(call, Optional.of(call.pathParam("version"))))
        .post("/v2/repository/index", r::index)
        .post("/v2/repository/models/{model}/load", r::load)
        .post("/v2/repository/models/{model}/unload", r::unload);
  }

  /** The runtime's metadata with the extensions this transport layer adds (binary data, ...). */
  static ServerMetadata serverMetadata(InferenceService service) {
    ServerMetadata m = service.serverMetadata();
    java.util.Set<String> extensions = new java.util.TreeSet<>(m.extensions());
    extensions.addAll(OipNames.EXTENSIONS);
    return new ServerMetadata(m.name(), m.version(), List.copyOf(extensions));
  }

  private CompletionStage<HttpResult> infer(HttpCall call, Optional<String> version) {
    OptionalInt headerLength = OptionalInt.empty();
    Optional<String> header = call.header(HEADER_LENGTH);
    if (header.isPresent()) {
      headerLength = OptionalInt.of(RestCodec.parseInferenceHeaderContentLength(header.get()));
    }
    String model = call.pathParam("model");
    // Binary tensors stay in the network buffers the body arrived in, until the runtime has read
    // them: it runs the release, which may be after this call is answered or cancelled.
    Runnable release = call.content().retain();
    RestCodec.DecodedInfer decoded;
    try {
      decoded = codec.decodeInfer(model, version, call.content().buffers(), headerLength);
    } catch (StrataException e) {
      release.run();
      // An unknown model is a 404 whatever the body says; looking it up only on this error path
      // keeps the hot path free of it.
      service.modelMetadata(model, version);
      throw e;
    } catch (RuntimeException | Error e) {
      release.run();
      throw e;
    }
    CompletableFuture<InferenceResponse> inference = service.infer(decoded.request(), release);
    CompletableFuture<HttpResult> result =
        inference.thenApply(response -> inferResult(codec.encodeInfer(response, decoded.format())));
    // The connection cancels the result when the client goes away; the inference must hear of it.
    result.whenComplete(
        (r, failure) -> {
          if (result.isCancelled()) {
            inference.cancel(false);
          }
        });
    return result;
  }

  private static HttpResult inferResult(EncodedBody body) {
    List<ByteBuffer> parts = new ArrayList<>(1 + body.binary().size());
    parts.add(body.json());
    parts.addAll(body.binary());
    OptionalInt jsonLength = body.inferenceHeaderContentLength();
    Map<String, String> headers =
        jsonLength.isPresent()
            ? Map.of(HEADER_LENGTH, Integer.toString(jsonLength.getAsInt()))
            : Map.of();
    return new HttpResult(200, body.contentType(), headers, parts);
  }

  private CompletionStage<HttpResult> metadata(String model, Optional<String> version) {
    return done(ok(codec.modelMetadata(service.modelMetadata(model, version))));
  }

  private CompletionStage<HttpResult> config(String model, Optional<String> version) {
    return done(ok(codec.modelConfig(service.modelConfig(model, version))));
  }

  private CompletionStage<HttpResult> modelReady(String model, Optional<String> version) {
    // Unknown models answer 404 (metadata throws NOT_FOUND); known but not ready answer 503.
    boolean ready = service.modelReady(model, version);
    if (!ready) {
      service.modelMetadata(model, version);
    }
    String body = "{\"name\":" + quote(model) + ",\"ready\":" + ready + "}";
    return done(HttpResult.json(ready ? 200 : 503, json(body)));
  }

  private CompletionStage<HttpResult> stats(Optional<String> model, Optional<String> version) {
    return done(ok(codec.statistics(service.statistics(model, version))));
  }

  private CompletionStage<HttpResult> index(HttpCall call) {
    ByteBuffer b = call.body();
    boolean readyOnly =
        b.hasRemaining()
            && codec.decodeRepositoryIndexRequest(
                b.array(), b.arrayOffset() + b.position(), b.remaining());
    return done(ok(codec.repositoryIndex(service.repositoryIndex(readyOnly))));
  }

  private CompletionStage<HttpResult> load(HttpCall call) {
    String model = call.pathParam("model");
    parseRepositoryBody(call);
    return CompletableFuture.supplyAsync(
        () -> {
          modelControl.load(model);
          return ok(new byte[0]);
        },
        control);
  }

  private CompletionStage<HttpResult> unload(HttpCall call) {
    String model = call.pathParam("model");
    parseRepositoryBody(call);
    return CompletableFuture.supplyAsync(
        () -> {
          modelControl.unload(model);
          return ok(new byte[0]);
        },
        control);
  }

  /** Validates the optional {@code {"parameters": {...}}} body of load and unload. */
  private void parseRepositoryBody(HttpCall call) {
    ByteBuffer b = call.body();
    if (b.hasRemaining()) {
      Map<String, Object> params =
          codec.decodeRepositoryRequest(b.array(), b.arrayOffset() + b.position(), b.remaining());
      if (!params.isEmpty()) {
        throw new StrataException(
            ErrorCode.INVALID_ARGUMENT,
            "parameters "
                + params.keySet()
                + " are not supported: load reads the model's config.json or config.pbtxt from the"
                + " repository");
      }
    }
  }

  private static CompletionStage<HttpResult> done(HttpResult result) {
    return CompletableFuture.completedFuture(result);
  }

  private static HttpResult ok(byte[] json) {
    return HttpResult.json(200, json);
  }

  private static byte[] json(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String quote(String s) {
    return "\""
        + new String(com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(s))
        + "\"";
  }
}
