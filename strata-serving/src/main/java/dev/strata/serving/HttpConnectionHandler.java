package dev.strata.serving;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
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
 * One connection's HTTP/1.1 state: collects each request body up to the size limit (or streams it
 * to a streaming route's handler), dispatches to the route's handler with the body still in the
 * pooled buffers it arrived in (a {@link RequestBody}, released when the handler's stage
 * completes), and writes responses in request order (HTTP/1.1 pipelining) as their stages complete;
 * a streamed response body is written in chunks as the connection can take them. A connection
 * closed by the client cancels its pending requests, so queued inference work for it never runs.
 */
final class HttpConnectionHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(HttpConnectionHandler.class);
  private static final int STREAM_HIGH_WATER = 1 << 20;
  private static final int STREAM_LOW_WATER = 256 << 10;
  private static final int RESPONSE_CHUNK = 64 << 10;

  private final HttpRoutes routes;
  private final int maxRequestBytes;
  private final HttpServerState state;
  private final Executor streamingExecutor;
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();

  private HttpRequest current;
  private QueryStringDecoder currentUri;
  private HttpRoutes.Match currentMatch;
  private CompositeByteBuf body;
  private RequestBodyStream streaming;
  private boolean discarding;

  HttpConnectionHandler(
      HttpRoutes routes, int maxRequestBytes, HttpServerState state, Executor streamingExecutor) {
    this.routes = routes;
    this.maxRequestBytes = maxRequestBytes;
    this.state = state;
    this.streamingExecutor = streamingExecutor;
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
    releaseBody();
    current = request;
    currentUri = null;
    currentMatch = null;
    discarding = false;
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
      startStreaming(ctx, request, uri, found);
      return;
    }
    long declared = HttpUtil.getContentLength(request, -1L);
    if (declared > maxRequestBytes) {
      reject(ctx, ErrorCode.PAYLOAD_TOO_LARGE, tooLarge(declared));
      return;
    }
    if (HttpUtil.is100ContinueExpected(request)) {
      ctx.writeAndFlush(
          new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
    }
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
    if (HttpUtil.is100ContinueExpected(request)) {
      ctx.writeAndFlush(
          new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
    }
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
    state.requestStarted();
    Pending p = new Pending(HttpUtil.isKeepAlive(request), false, stage);
    pending.add(p);
    stage.whenComplete((result, failure) -> completeOnLoop(ctx, p, result, failure));
  }

  private static void runStreaming(
      StreamingHandler handler, StreamingCall call, CompletableFuture<HttpResult> stage) {
    try {
      HttpResult result = handler.handle(call);
      if (!stage.complete(result)) {
        result.stream().ifPresent(StreamedBody::close); // the client went away meanwhile
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
    if (!discarding) {
      ByteBuf chunk = content.content();
      if (chunk.isReadable()) {
        int size = body == null ? 0 : body.readableBytes();
        if ((long) size + chunk.readableBytes() > maxRequestBytes) {
          reject(ctx, ErrorCode.PAYLOAD_TOO_LARGE, tooLarge((long) size + chunk.readableBytes()));
        } else {
          if (body == null) {
            // The chunks themselves, not copies: slices of the pooled buffers the socket read into.
            body = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
          }
          body.addComponent(true, chunk.retain());
        }
      }
    }
    if (content instanceof LastHttpContent) {
      if (!discarding) {
        dispatch(ctx);
      }
      current = null;
      currentUri = null;
      currentMatch = null;
      releaseBody();
    }
  }

  private String tooLarge(long size) {
    return "request body of " + size + " bytes is over the limit of " + maxRequestBytes + " bytes";
  }

  /** Answers the current request with an error at once and drops the rest of its body. */
  private void reject(ChannelHandlerContext ctx, ErrorCode code, String message) {
    discarding = true;
    releaseBody();
    // A malformed request ends the connection; a too-large one keeps it (when the client asked to)
    // and its remaining body is read and dropped, so the client can read the 413.
    boolean keepAlive = !current.decoderResult().isFailure() && HttpUtil.isKeepAlive(current);
    Pending p = new Pending(keepAlive, current.method() == HttpMethod.HEAD, null);
    pending.add(p);
    state.requestStarted();
    complete(ctx, p, HttpErrors.of(code, message), null);
  }

  private void dispatch(ChannelHandlerContext ctx) {
    HttpRequest request = current;
    RequestBody content = RequestBody.EMPTY;
    if (body != null && body.isReadable()) {
      content = RequestBody.pooled(body); // the handler's now, until its stage completes
      body = null;
    }
    releaseBody();
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    state.requestStarted();
    CompletionStage<HttpResult> stage;
    if (state.draining()) {
      stage =
          CompletableFuture.completedFuture(
              HttpErrors.of(ErrorCode.UNAVAILABLE, "server is shutting down"));
      keepAlive = false;
    } else {
      stage = route(request, currentUri, currentMatch, content);
    }
    Pending p = new Pending(keepAlive, request.method() == HttpMethod.HEAD, stage);
    pending.add(p);
    RequestBody held = content;
    stage.whenComplete((result, failure) -> held.release());
    stage.whenComplete((result, failure) -> completeOnLoop(ctx, p, result, failure));
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

  // ---- responses

  private void completeOnLoop(
      ChannelHandlerContext ctx, Pending p, HttpResult result, Throwable failure) {
    if (ctx.executor().inEventLoop()) {
      complete(ctx, p, result, failure);
    } else {
      ctx.executor().execute(() -> complete(ctx, p, result, failure));
    }
  }

  /** Runs on the event loop: records the result and writes every response that is now in order. */
  private void complete(
      ChannelHandlerContext ctx, Pending p, HttpResult result, Throwable failure) {
    p.result = failure != null ? HttpErrors.of(failure) : result;
    if (p.orphaned) {
      closeStream(p.result);
      return;
    }
    boolean wrote = false;
    while (!pending.isEmpty() && pending.peek().result != null) {
      Pending next = pending.poll();
      write(ctx, next);
      wrote = true;
      if (!next.keepAlive) {
        break;
      }
    }
    if (wrote) {
      ctx.flush();
    }
  }

  private void write(ChannelHandlerContext ctx, Pending p) {
    HttpResult r = p.result;
    boolean keepAlive = p.keepAlive && !state.draining();
    ChannelFuture future;
    if (r.stream().isPresent()) {
      future = writeStreamed(ctx, p, r, keepAlive);
    } else {
      ByteBuf content = Unpooled.EMPTY_BUFFER;
      if (!p.head && !r.body().isEmpty()) {
        content = Unpooled.wrappedBuffer(r.body().toArray(ByteBuffer[]::new));
      }
      FullHttpResponse response =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()), content);
      setHeaders(response.headers(), r, keepAlive);
      future = ctx.write(response);
    }
    future.addListener(f -> state.requestFinished());
    if (!keepAlive) {
      future.addListener(ChannelFutureListener.CLOSE);
      discarding = true;
      current = null;
    }
  }

  private static void setHeaders(HttpHeaders headers, HttpResult r, boolean keepAlive) {
    if (r.status() == 204 || r.status() == 304) {
      // RFC 9110: no content, so neither a length nor a type of it (a 304 may repeat an ETag).
      r.headers().forEach(headers::set);
      if (!keepAlive) {
        headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      }
      return;
    }
    headers.set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
    headers.set(HttpHeaderNames.CONTENT_LENGTH, r.length());
    // A handler's own Content-Length wins: HEAD answers give the length of what GET would send.
    r.headers().forEach(headers::set);
    if (!keepAlive) {
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
  }

  private ChannelFuture writeStreamed(
      ChannelHandlerContext ctx, Pending p, HttpResult r, boolean keepAlive) {
    StreamedBody streamed = r.stream().orElseThrow();
    HttpResponse response =
        new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()));
    setHeaders(response.headers(), r, keepAlive);
    if (p.head) {
      streamed.close();
      ctx.write(response);
      return ctx.write(LastHttpContent.EMPTY_LAST_CONTENT);
    }
    if (ctx.pipeline().get(ChunkedWriteHandler.class) == null) {
      // Added on first use only, so connections that never stream pay nothing for it.
      ctx.pipeline().addBefore(ctx.name(), "chunked-writer", new ChunkedWriteHandler());
    }
    ctx.write(response);
    ChannelFuture future =
        ctx.write(new HttpChunkedInput(new StreamChunks(streamed, RESPONSE_CHUNK)));
    future.addListener(
        f -> {
          if (!f.isSuccess()) {
            // The status line is out already: only a closed connection tells the client.
            log.debug("streamed response failed; closing the connection", f.cause());
            ctx.close();
          }
        });
    return future;
  }

  private static void closeStream(HttpResult result) {
    if (result != null) {
      result.stream().ifPresent(StreamedBody::close);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    releaseBody();
    if (streaming != null) {
      streaming.fail(new IOException("connection closed before the request body was complete"));
      streaming = null;
    }
    // Cancelling completes the stages at once, which re-enters complete(): take them out first.
    List<Pending> orphaned = new ArrayList<>(pending);
    pending.clear();
    for (Pending p : orphaned) {
      p.orphaned = true;
      state.requestFinished();
      closeStream(p.result);
      if (p.stage != null) {
        p.stage.toCompletableFuture().cancel(false);
      }
    }
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("closing HTTP connection {} after an error", ctx.channel().remoteAddress(), cause);
    ctx.close();
  }

  private void releaseBody() {
    if (body != null) {
      body.release();
      body = null;
    }
  }

  private static final class Pending {
    final boolean keepAlive;
    final boolean head;
    final CompletionStage<HttpResult> stage;
    HttpResult result;
    boolean orphaned;

    Pending(boolean keepAlive, boolean head, CompletionStage<HttpResult> stage) {
      this.keepAlive = keepAlive;
      this.head = head;
      this.stage = stage;
    }
  }
}
