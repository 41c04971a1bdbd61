package dev.strata.serving;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's HTTP/1.1 requests: checks each request line, routes it, and hands its body and
 * its answer to the two mechanisms that own them. A buffered route's body is collected by a {@link
 * RequestBodyAggregator} (size limit, {@code 100 Continue}, 413) and given to the handler in the
 * pooled buffers it arrived in (a {@link RequestBody}, released when the handler's stage
 * completes); a streaming route's body is fed to its handler as a {@link RequestBodyStream} while
 * it arrives. Responses go through a {@link ResponseSequencer}, which writes them in request order
 * (HTTP/1.1 pipelining) as their stages complete. A connection closed by the client cancels its
 * pending requests, so queued inference work for it never runs.
 */
final class HttpConnectionHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(HttpConnectionHandler.class);
  private static final int STREAM_HIGH_WATER = 1 << 20;
  private static final int STREAM_LOW_WATER = 256 << 10;

  private final HttpRoutes routes;
  private final HttpServerState state;
  private final Executor streamingExecutor;
  private final RequestBodyAggregator bodies;
  private final ResponseSequencer responses;

  /** The request whose content is still read; {@code null} once its body is over. */
  private HttpRequest current;

  private QueryStringDecoder currentUri;
  private HttpRoutes.Match currentMatch;
  private RequestBodyStream streaming;

  HttpConnectionHandler(
      HttpRoutes routes, int maxRequestBytes, HttpServerState state, Executor streamingExecutor) {
    this.routes = routes;
    this.state = state;
    this.streamingExecutor = streamingExecutor;
    this.bodies = new RequestBodyAggregator(maxRequestBytes);
    this.responses = new ResponseSequencer(state, this::stopReading);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (msg instanceof HttpRequest request) {
        startRequest(ctx, request);
      }
      if (msg instanceof HttpContent content && current != null) {
        if (streaming != null) {
          streamContent(ctx, content);
        } else {
          appendContent(ctx, content);
        }
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void startRequest(ChannelHandlerContext ctx, HttpRequest request) {
    current = request;
    currentUri = null;
    currentMatch = null;
    if (request.decoderResult().isFailure()) {
      reject(
          ctx,
          ErrorCode.INVALID_ARGUMENT,
          "malformed HTTP request: " + request.decoderResult().cause().getMessage());
      return;
    }
    QueryStringDecoder uri = new QueryStringDecoder(request.uri());
    Optional<String> badUri = malformedUri(uri);
    if (badUri.isPresent()) {
      reject(ctx, ErrorCode.INVALID_ARGUMENT, badUri.get());
      return;
    }
    currentUri = uri;
    try {
      currentMatch = routes.match(request.method().name(), uri.rawPath());
    } catch (IllegalArgumentException e) {
      reject(ctx, ErrorCode.INVALID_ARGUMENT, "path '" + uri.rawPath() + "': " + e.getMessage());
      return;
    }
    if (currentMatch instanceof HttpRoutes.FoundStreaming found && !state.draining()) {
      bodies.discard(); // nothing to collect: the handler reads the body as it arrives
      startStreaming(ctx, request, uri, found);
      return;
    }
    bodies.begin(ctx, request).ifPresent(tooLarge -> answerAtOnce(ctx, tooLarge));
  }

  /**
   * Why the request's path or query cannot be percent-decoded, if it cannot: checked before
   * routing, so every handler sees a decodable URI.
   */
  private static Optional<String> malformedUri(QueryStringDecoder uri) {
    try {
      uri.path();
      uri.parameters();
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.of(
          "malformed percent-encoding in '" + uri.uri() + "' (" + e.getMessage() + ")");
    }
  }

  // ---- streaming request bodies

  private void startStreaming(
      ChannelHandlerContext ctx,
      HttpRequest request,
      QueryStringDecoder uri,
      HttpRoutes.FoundStreaming found) {
    RequestBodyAggregator.continueIfExpected(ctx, request);
    RequestBodyStream stream =
        new RequestBodyStream(ctx.channel(), STREAM_HIGH_WATER, STREAM_LOW_WATER);
    streaming = stream;
    long declared = HttpUtil.getContentLength(request, -1L);
    StreamingCall call =
        new StreamingCall(
            request.method().name(),
            uri.path(),
            found.pathParams(),
            uri.parameters(),
            headerLookup(request),
            stream,
            declared < 0 ? OptionalLong.empty() : OptionalLong.of(declared));
    CompletableFuture<HttpResult> stage = new CompletableFuture<>();
    try {
      streamingExecutor.execute(() -> runStreaming(found.handler(), call, stage));
    } catch (RejectedExecutionException e) {
      stream.close();
      stage.completeExceptionally(e);
    }
    responses.answer(ctx, responses.reserve(), stage, HttpUtil.isKeepAlive(request), false);
  }

  private static void runStreaming(
      StreamingHandler handler, StreamingCall call, CompletableFuture<HttpResult> stage) {
    try {
      HttpResult result = handler.handle(call);
      if (!stage.complete(result)) {
        // the client went away meanwhile
        result.stream().ifPresent(StreamedBody::close);
        result.events().ifPresent(EventStream::close);
      }
    } catch (Throwable t) {
      stage.completeExceptionally(t);
    } finally {
      try {
        call.body().close();
      } catch (IOException ignored) {
        // closing the request stream only drops what is queued
      }
    }
  }

  private void streamContent(ChannelHandlerContext ctx, HttpContent content) {
    RequestBodyStream stream = streaming;
    if (content.decoderResult().isFailure()) {
      stream.fail(new IOException("malformed request body: " + content.decoderResult().cause()));
      streaming = null;
      current = null;
      ctx.close();
      return;
    }
    ByteBuf chunk = content.content();
    if (chunk.isReadable()) {
      stream.offer(chunk.retain());
    }
    if (content instanceof LastHttpContent) {
      stream.end();
      streaming = null;
      current = null;
    }
  }

  // ---- buffered request bodies

  private void appendContent(ChannelHandlerContext ctx, HttpContent content) {
    switch (bodies.offer(ctx, content)) {
      case RequestBodyAggregator.Complete complete -> dispatch(ctx, complete.body());
      case RequestBodyAggregator.Refused refused -> answerAtOnce(ctx, refused.answer());
      case RequestBodyAggregator.More more -> {}
      case RequestBodyAggregator.Dropped dropped -> {}
    }
    if (content instanceof LastHttpContent) {
      current = null;
      currentUri = null;
      currentMatch = null;
    }
  }

  /** Answers the current request with an error at once and drops the rest of its body. */
  private void reject(ChannelHandlerContext ctx, ErrorCode code, String message) {
    bodies.discard();
    answerAtOnce(ctx, HttpErrors.of(code, message));
  }

  private void answerAtOnce(ChannelHandlerContext ctx, HttpResult answer) {
    // A malformed request ends the connection; a too-large one keeps it (when the client asked to)
    // and its remaining body is read and dropped, so the client can read the 413.
    boolean keepAlive = !current.decoderResult().isFailure() && HttpUtil.isKeepAlive(current);
    responses.answer(
        ctx,
        responses.reserve(),
        CompletableFuture.completedFuture(answer),
        keepAlive,
        current.method() == HttpMethod.HEAD);
  }

  private void dispatch(ChannelHandlerContext ctx, RequestBody content) {
    HttpRequest request = current;
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    // Counted in flight before the draining check, so a drain either waits for it or refuses it.
    ResponseSequencer.Slot slot = responses.reserve();
    CompletionStage<HttpResult> stage;
    if (state.draining()) {
      stage =
          CompletableFuture.completedFuture(
              HttpErrors.of(ErrorCode.UNAVAILABLE, "server is shutting down"));
      keepAlive = false;
    } else {
      stage = route(request, currentUri, currentMatch, content);
    }
    stage.whenComplete((result, failure) -> content.release()); // the handler's until now
    responses.answer(ctx, slot, stage, keepAlive, request.method() == HttpMethod.HEAD);
  }

  private CompletionStage<HttpResult> route(
      HttpRequest request, QueryStringDecoder uri, HttpRoutes.Match match, RequestBody content) {
    String method = request.method().name();
    try {
      return switch (match) {
        case HttpRoutes.Found found -> {
          HttpCall call =
              new HttpCall(
                  method,
                  uri.path(),
                  found.pathParams(),
                  uri.parameters(),
                  headerLookup(request),
                  content);
          CompletionStage<HttpResult> s = found.handler().handle(call);
          yield s == null
              ? CompletableFuture.failedFuture(new IllegalStateException("handler returned null"))
              : s;
        }
        // Only while draining: a streaming route then answers like any other.
        case HttpRoutes.FoundStreaming found ->
            CompletableFuture.failedFuture(
                new StrataException(ErrorCode.UNAVAILABLE, "server is shutting down"));
        case HttpRoutes.MethodNotAllowed m -> {
          // The one error format (with a code); 405 has no code of its own, so the generic one.
          HttpResult error =
              HttpErrors.of(
                  ErrorCode.INVALID_ARGUMENT,
                  "method "
                      + method
                      + " not allowed on "
                      + uri.path()
                      + " (allowed: "
                      + String.join(", ", m.allowed())
                      + ")");
          yield CompletableFuture.completedFuture(
              new HttpResult(
                  405,
                  HttpResult.JSON,
                  Map.of("Allow", String.join(", ", m.allowed())),
                  error.body()));
        }
        case HttpRoutes.NotFound n ->
            CompletableFuture.completedFuture(
                HttpErrors.of(ErrorCode.NOT_FOUND, "no endpoint " + method + " " + uri.path()));
      };
    } catch (Exception e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static Function<String, Optional<String>> headerLookup(HttpRequest request) {
    var headers = request.headers();
    return name -> Optional.ofNullable(headers.get(name));
  }

  /** The connection closes after the response just written: what the client sends is dropped. */
  private void stopReading() {
    bodies.discard();
    current = null;
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    bodies.release();
    if (streaming != null) {
      streaming.fail(new IOException("connection closed before the request body was complete"));
      streaming = null;
    }
    responses.abandon();
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("closing HTTP connection {} after an error", ctx.channel().remoteAddress(), cause);
    ctx.close();
  }
}
