package dev.strata.serving;

import dev.strata.core.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.Optional;

/**
 * Collects one connection's request bodies, one request at a time, into the pooled buffers they
 * arrived in: the chunks themselves, not copies, handed over as a {@link RequestBody} once the last
 * one is in. A body over {@code maxRequestBytes} (declared in {@code Content-Length} or found while
 * it arrives) is refused with 413: what was collected is released at once and the rest of the body
 * is read and dropped, so the client, still sending, can read the answer. A client that waits for
 * {@code 100 Continue} gets it only for a body that may fit.
 *
 * <p>It only owns the buffers; answering (the 413 included) is the caller's. Not thread-safe: the
 * connection's event loop calls it. The caller still releases each message it offers, as Netty
 * asks; a collected chunk holds its own reference.
 */
final class RequestBodyAggregator {
  private final int maxRequestBytes;
  private CompositeByteBuf body;
  private boolean discarding;

  RequestBodyAggregator(int maxRequestBytes) {
    if (maxRequestBytes <= 0) {
      throw new IllegalArgumentException(
          "maxRequestBytes: " + maxRequestBytes + " (expected: > 0)");
    }
    this.maxRequestBytes = maxRequestBytes;
  }

  /** What one chunk of content did to the body being collected. */
  sealed interface Outcome {}

  /** The chunk was taken (or dropped) and the body is not complete yet. */
  record More() implements Outcome {}

  /**
   * The last chunk came: {@code body} is the whole body ({@link RequestBody#EMPTY} for none), now
   * the caller's to {@link RequestBody#release()}.
   */
  record Complete(RequestBody body) implements Outcome {}

  /**
   * The body went over the limit with this chunk: what was collected is released, the rest of the
   * body will be dropped, and {@code answer} is the 413 to send.
   */
  record Refused(HttpResult answer) implements Outcome {}

  /** The last chunk of a body that was refused or discarded came: nothing to hand over. */
  record Dropped() implements Outcome {}

  private static final More MORE = new More();
  private static final Dropped DROPPED = new Dropped();

  /**
   * Starts collecting the body of {@code request}, dropping anything left of an earlier one. When
   * the declared length is over the limit, the body is refused before it arrives: the 413 to send
   * is returned and the body will be dropped. Otherwise a client that expects {@code 100 Continue}
   * is sent it.
   */
  Optional<HttpResult> begin(ChannelHandlerContext ctx, HttpRequest request) {
    releaseBody();
    discarding = false;
    long declared = HttpUtil.getContentLength(request, -1L);
    if (declared > maxRequestBytes) {
      discarding = true;
      return Optional.of(tooLarge(declared));
    }
    continueIfExpected(ctx, request);
    return Optional.empty();
  }

  /**
   * Adds a chunk of the current body (the aggregator takes its own reference to what it keeps).
   * Content after a refusal, a {@link #discard()} or the last chunk is dropped.
   */
  Outcome offer(ChannelHandlerContext ctx, HttpContent content) {
    Outcome outcome = MORE;
    if (!discarding) {
      ByteBuf chunk = content.content();
      if (chunk.isReadable()) {
        long size = (body == null ? 0L : body.readableBytes()) + chunk.readableBytes();
        if (size > maxRequestBytes) {
          discarding = true;
          releaseBody();
          outcome = new Refused(tooLarge(size));
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
      if (outcome == MORE) {
        outcome = discarding ? DROPPED : new Complete(takeBody());
      }
      discarding = true; // the body is over: anything more belongs to no request
      releaseBody();
    }
    return outcome;
  }

  /**
   * Drops what is collected of the current body and the rest of it as it arrives: for a request
   * answered before its body was read, or a connection that closes after its current response.
   */
  void discard() {
    discarding = true;
    releaseBody();
  }

  /** Releases what is collected: the connection has closed. */
  void release() {
    releaseBody();
  }

  /** Sends {@code 100 Continue} when {@code request} waits for it before sending its body. */
  static void continueIfExpected(ChannelHandlerContext ctx, HttpRequest request) {
    if (HttpUtil.is100ContinueExpected(request)) {
      ctx.writeAndFlush(
          new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
    }
  }

  private RequestBody takeBody() {
    if (body == null || !body.isReadable()) {
      return RequestBody.EMPTY;
    }
    RequestBody taken = RequestBody.pooled(body); // the caller's now
    body = null;
    return taken;
  }

  private HttpResult tooLarge(long size) {
    return HttpErrors.of(
        ErrorCode.PAYLOAD_TOO_LARGE,
        "request body of " + size + " bytes is over the limit of " + maxRequestBytes + " bytes");
  }

  private void releaseBody() {
    if (body != null) {
      body.release();
      body = null;
    }
  }
}
