package dev.strata.serving;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.stream.ChunkedWriteHandler;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers one connection's requests in the order they came (HTTP/1.1 pipelining), whatever order
 * their stages complete in: each request {@link #reserve() reserves} its place when it is read,
 * {@link #answer answers} it with a stage, and every response whose turn has come is written, then
 * flushed once. A response that does not keep the connection alive (the client's {@code Connection:
 * close}, a malformed request, a draining server) is the last one written: the connection closes
 * after it and the {@code closing} callback tells the reading side to drop what the client sends
 * next. A streamed body is written in chunks as the connection can take them.
 *
 * <p>It also keeps the server's in-flight count: a request counts from {@link #reserve()} until its
 * response is written or the connection closes. When the connection closes, {@link #abandon()}
 * cancels the stages still pending, so queued work for a gone client never runs.
 *
 * <p>Not thread-safe: the connection's event loop calls it; stages completing on other threads hand
 * their results to the event loop.
 */
final class ResponseSequencer {
  private static final Logger log = LoggerFactory.getLogger(ResponseSequencer.class);
  private static final int RESPONSE_CHUNK = 64 << 10;

  private final HttpServerState state;
  private final Runnable closing;
  private final ArrayDeque<Slot> pending = new ArrayDeque<>();

  /** An event stream is being written: the responses after it wait for its end. */
  private boolean streaming;

  /**
   * @param state the server's in-flight count and draining flag (a draining server closes every
   *     connection after its current response)
   * @param closing run when a response that closes the connection is written
   */
  ResponseSequencer(HttpServerState state, Runnable closing) {
    this.state = state;
    this.closing = closing;
  }

  /** One request's place in the response order. */
  static final class Slot {
    private boolean keepAlive;
    private boolean head;
    private CompletionStage<HttpResult> stage;
    private HttpResult result;
    private boolean orphaned;

    private Slot() {}
  }

  /**
   * Takes the next place in the response order for the request just read and counts it in flight;
   * nothing after it is written until it is {@linkplain #answer answered}.
   */
  Slot reserve() {
    Slot slot = new Slot();
    pending.add(slot);
    state.requestStarted();
    return slot;
  }

  /**
   * Answers {@code slot} with {@code stage}'s result (a failure becomes its error answer), written
   * when the stage completes and every earlier response is out.
   *
   * @param keepAlive whether the connection stays open after this response
   * @param head whether the request was HEAD: the headers go out, not the body
   */
  void answer(
      ChannelHandlerContext ctx,
      Slot slot,
      CompletionStage<HttpResult> stage,
      boolean keepAlive,
      boolean head) {
    if (slot.stage != null) {
      throw new IllegalStateException("this request is answered already");
    }
    slot.keepAlive = keepAlive;
    slot.head = head;
    slot.stage = stage;
    if (slot.orphaned) {
      stage.toCompletableFuture().cancel(false);
    }
    stage.whenComplete((result, failure) -> completeOnLoop(ctx, slot, result, failure));
  }

  /**
   * The connection has closed: every pending response is dropped, its in-flight count given back,
   * its stage cancelled and any streamed body closed.
   */
  void abandon() {
    // Cancelling completes the stages at once, which re-enters complete(): take them out first.
    List<Slot> orphaned = new ArrayList<>(pending);
    pending.clear();
    for (Slot slot : orphaned) {
      slot.orphaned = true;
      state.requestFinished();
      closeStream(slot.result);
      if (slot.stage != null) {
        slot.stage.toCompletableFuture().cancel(false);
      }
    }
  }

  private void completeOnLoop(
      ChannelHandlerContext ctx, Slot slot, HttpResult result, Throwable failure) {
    if (ctx.executor().inEventLoop()) {
      complete(ctx, slot, result, failure);
    } else {
      ctx.executor().execute(() -> complete(ctx, slot, result, failure));
    }
  }

  /** Runs on the event loop: records the result and writes every response that is now in order. */
  private void complete(
      ChannelHandlerContext ctx, Slot slot, HttpResult result, Throwable failure) {
    slot.result = failure != null ? HttpErrors.of(failure) : result;
    if (slot.orphaned) {
      closeStream(slot.result);
      return;
    }
    drain(ctx);
  }

  /** Writes every response that is now in order (none while an event stream is going out). */
  private void drain(ChannelHandlerContext ctx) {
    boolean wrote = false;
    while (!streaming && !pending.isEmpty() && pending.peek().result != null) {
      Slot next = pending.poll();
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

  private void write(ChannelHandlerContext ctx, Slot slot) {
    HttpResult r = slot.result;
    boolean keepAlive = slot.keepAlive && !state.draining();
    if (r.events().isPresent()) {
      if (!slot.head) {
        writeEvents(ctx, r, keepAlive);
        return;
      }
      r.events().get().close(); // HEAD: the headers only
    }
    ChannelFuture future;
    if (r.stream().isPresent()) {
      future = writeStreamed(ctx, slot, r, keepAlive);
    } else {
      ByteBuf content = Unpooled.EMPTY_BUFFER;
      if (!slot.head && !r.body().isEmpty()) {
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
      closing.run();
    }
  }

  /**
   * Writes the head of an event stream and hands the connection to it; the request counts as
   * finished, and the responses after it are written, once its last chunk is out.
   */
  private void writeEvents(ChannelHandlerContext ctx, HttpResult r, boolean keepAlive) {
    EventStream events = r.events().orElseThrow();
    HttpResponse response =
        new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()));
    HttpHeaders headers = response.headers();
    headers.set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
    r.headers().forEach(headers::set);
    headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    if (!keepAlive) {
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      closing.run();
    }
    streaming = true;
    ctx.write(response);
    events.attach(
        ctx,
        f -> {
          state.requestFinished();
          streaming = false;
          if (!keepAlive || !f.isSuccess()) {
            ctx.close();
          } else {
            drain(ctx);
          }
        });
    ctx.channel()
        .closeFuture()
        .addListener(
            f -> {
              if (streaming) { // the client went away mid-stream: the request is over
                streaming = false;
                state.requestFinished();
              }
            });
    ctx.flush();
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

  private static ChannelFuture writeStreamed(
      ChannelHandlerContext ctx, Slot slot, HttpResult r, boolean keepAlive) {
    StreamedBody streamed = r.stream().orElseThrow();
    HttpResponse response =
        new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()));
    setHeaders(response.headers(), r, keepAlive);
    if (slot.head) {
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
      result.events().ifPresent(EventStream::close);
    }
  }
}
