package dev.strata.serving;

import dev.strata.core.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's HTTP/1.1 state: collects each request body up to the size limit, dispatches to
 * the route's handler, and writes responses in request order (HTTP/1.1 pipelining) as their stages
 * complete. A connection closed by the client cancels its pending requests, so queued inference
 * work for it never runs.
 */
final class HttpConnectionHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(HttpConnectionHandler.class);
  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0).asReadOnlyBuffer();

  private final HttpRoutes routes;
  private final int maxRequestBytes;
  private final HttpServerState state;
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();

  private HttpRequest current;
  private CompositeByteBuf body;
  private boolean discarding;

  HttpConnectionHandler(HttpRoutes routes, int maxRequestBytes, HttpServerState state) {
    this.routes = routes;
    this.maxRequestBytes = maxRequestBytes;
    this.state = state;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (msg instanceof HttpRequest request) {
        startRequest(ctx, request);
      }
      if (msg instanceof HttpContent content && current != null) {
        appendContent(ctx, content);
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void startRequest(ChannelHandlerContext ctx, HttpRequest request) {
    releaseBody();
    current = request;
    discarding = false;
    if (request.decoderResult().isFailure()) {
      reject(
          ctx,
          ErrorCode.INVALID_ARGUMENT,
          "malformed HTTP request: " + request.decoderResult().cause().getMessage());
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

  private void appendContent(ChannelHandlerContext ctx, HttpContent content) {
    if (!discarding) {
      ByteBuf chunk = content.content();
      if (chunk.isReadable()) {
        int size = body == null ? 0 : body.readableBytes();
        if ((long) size + chunk.readableBytes() > maxRequestBytes) {
          reject(ctx, ErrorCode.PAYLOAD_TOO_LARGE, tooLarge((long) size + chunk.readableBytes()));
        } else {
          if (body == null) {
            body = ctx.alloc().compositeHeapBuffer(Integer.MAX_VALUE);
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
    ByteBuffer bytes = EMPTY;
    if (body != null && body.isReadable()) {
      bytes = ByteBuffer.wrap(ByteBufUtil.getBytes(body));
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
      stage = route(request, bytes);
    }
    Pending p = new Pending(keepAlive, request.method() == HttpMethod.HEAD, stage);
    pending.add(p);
    stage.whenComplete(
        (result, failure) -> {
          if (ctx.executor().inEventLoop()) {
            complete(ctx, p, result, failure);
          } else {
            ctx.executor().execute(() -> complete(ctx, p, result, failure));
          }
        });
  }

  private CompletionStage<HttpResult> route(HttpRequest request, ByteBuffer bytes) {
    QueryStringDecoder uri = new QueryStringDecoder(request.uri());
    String method = request.method().name();
    try {
      return switch (routes.match(method, uri.rawPath())) {
        case HttpRoutes.Found found -> {
          HttpCall call =
              new HttpCall(
                  method,
                  uri.path(),
                  found.pathParams(),
                  uri.parameters(),
                  headerLookup(request),
                  bytes);
          CompletionStage<HttpResult> s = found.handler().handle(call);
          yield s == null
              ? CompletableFuture.failedFuture(new IllegalStateException("handler returned null"))
              : s;
        }
        case HttpRoutes.MethodNotAllowed m ->
            CompletableFuture.completedFuture(
                new HttpResult(
                    405,
                    HttpResult.JSON,
                    Map.of("Allow", String.join(", ", m.allowed())),
                    List.of(
                        ByteBuffer.wrap(
                            HttpErrors.body(
                                "method "
                                    + method
                                    + " not allowed on "
                                    + uri.path()
                                    + " (allowed: "
                                    + String.join(", ", m.allowed())
                                    + ")")))));
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

  /** Runs on the event loop: records the result and writes every response that is now in order. */
  private void complete(
      ChannelHandlerContext ctx, Pending p, HttpResult result, Throwable failure) {
    p.result = failure != null ? HttpErrors.of(failure) : result;
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
    ByteBuf content = Unpooled.EMPTY_BUFFER;
    if (!p.head && !r.body().isEmpty()) {
      content = Unpooled.wrappedBuffer(r.body().toArray(ByteBuffer[]::new));
    }
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()), content);
    var headers = response.headers();
    headers.set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
    headers.setInt(HttpHeaderNames.CONTENT_LENGTH, r.contentLength());
    r.headers().forEach(headers::set);
    if (!keepAlive) {
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    var future = ctx.write(response);
    future.addListener(f -> state.requestFinished());
    if (!keepAlive) {
      future.addListener(ChannelFutureListener.CLOSE);
      discarding = true;
      current = null;
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    releaseBody();
    // Cancelling completes the stages at once, which re-enters complete(): take them out first.
    List<Pending> orphaned = new ArrayList<>(pending);
    pending.clear();
    for (Pending p : orphaned) {
      state.requestFinished();
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

    Pending(boolean keepAlive, boolean head, CompletionStage<HttpResult> stage) {
      this.keepAlive = keepAlive;
      this.head = head;
      this.stage = stage;
    }
  }
}
