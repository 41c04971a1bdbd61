package dev.strata.protocol.client;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.protocol.OipNames;
import dev.strata.protocol.rest.EncodedBody;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * HTTP/1.1 exchanges over a small pool of keep-alive connections. Each connection carries one
 * exchange at a time (no pipelining); exchanges beyond {@code maxConnections} wait in order for a
 * free connection. Sending costs one task on the connection's event loop; the response is decoded
 * on that loop and the future completed there, so a request costs the caller no thread handoff
 * beyond that.
 */
final class HttpTransport implements AutoCloseable {
  /** Turns a whole response into the call's result; runs on the event loop. */
  @FunctionalInterface
  interface ResponseReader<T> {
    T read(int status, HttpHeaders headers, byte[] body);
  }

  private static final HttpHeadersFactory HEADERS =
      DefaultHttpHeadersFactory.headersFactory().withValidation(false);
  private static final HttpHeadersFactory TRAILERS =
      DefaultHttpHeadersFactory.trailersFactory().withValidation(false);

  private final ClientConfig config;
  private final String hostHeader;
  private final String address;
  private final EventLoopGroup group;
  private final Bootstrap bootstrap;
  private final Optional<SslContext> ssl;

  private final Object lock = new Object();
  private final ArrayDeque<Channel> idle = new ArrayDeque<>();
  private final ArrayDeque<Exchange<?>> waiting = new ArrayDeque<>();
  private final List<Channel> all = new ArrayList<>();
  private int open;
  private boolean closed;

  HttpTransport(ClientConfig config) {
    this.config = config;
    this.address = config.host() + ":" + config.port();
    this.hostHeader =
        config.host().contains(":") ? "[" + config.host() + "]:" + config.port() : address;
    this.ssl = config.tls() ? Optional.of(clientSsl()) : Optional.empty();
    this.group = new MultiThreadIoEventLoopGroup(config.ioThreads(), NioIoHandler.newFactory());
    this.bootstrap =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.SO_KEEPALIVE, true)
            .option(
                ChannelOption.CONNECT_TIMEOUT_MILLIS,
                (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ssl.ifPresent(
                        c ->
                            ch.pipeline()
                                .addLast(c.newHandler(ch.alloc(), config.host(), config.port())));
                    ch.pipeline()
                        .addLast(FirstBytes.NAME, new FirstBytes())
                        .addLast(new HttpClientCodec())
                        .addLast(new HttpObjectAggregator(config.maxMessageBytes()))
                        .addLast(new ExchangeHandler());
                  }
                });
  }

  /** TLS with the JVM's default trust store, checking the server's name against its certificate. */
  private static SslContext clientSsl() {
    try {
      return SslContextBuilder.forClient().endpointIdentificationAlgorithm("HTTPS").build();
    } catch (SSLException e) {
      throw new StrataException(ErrorCode.INTERNAL, "cannot set up TLS: " + e.getMessage(), e);
    }
  }

  /** One request waiting for, or holding, a connection. */
  private static final class Exchange<T> {
    final FullHttpRequest request;
    final ResponseReader<T> reader;
    final CompletableFuture<T> future = new CompletableFuture<>();
    final long timeoutNanos;
    ScheduledFuture<?> timer;

    Exchange(FullHttpRequest request, ResponseReader<T> reader, long timeoutNanos) {
      this.request = request;
      this.reader = reader;
      this.timeoutNanos = timeoutNanos;
    }

    void fail(StrataException e) {
      if (timer != null) {
        timer.cancel(false);
      }
      future.completeExceptionally(e);
      if (request.refCnt() > 0) {
        request.release(request.refCnt());
      }
    }
  }

  /**
   * Sends a request; the future completes with what {@code reader} makes of the response.
   *
   * @param body the body, or null for none
   */
  <T> CompletableFuture<T> send(
      HttpMethod method, String uri, EncodedBody body, Duration timeout, ResponseReader<T> reader) {
    FullHttpRequest request = request(method, uri, body);
    Exchange<T> ex = new Exchange<>(request, reader, Math.max(1, timeout.toNanos()));
    submit(ex, false);
    return ex.future;
  }

  /**
   * Hands an exchange to an idle connection, a new one, or the waiting line.
   *
   * @param first put it at the head of the line (it was already waiting once)
   */
  private void submit(Exchange<?> ex, boolean first) {
    Channel ch;
    synchronized (lock) {
      if (closed) {
        ex.fail(StrataException.unavailable("client is closed"));
        return;
      }
      ch = pollIdle();
      if (ch == null) {
        if (open >= config.maxConnections()) {
          if (first) {
            waiting.addFirst(ex);
          } else {
            waiting.addLast(ex);
          }
          return;
        }
        open++;
      }
    }
    if (ch == null) {
      connect(ex);
    } else {
      dispatch(ch, ex);
    }
  }

  private FullHttpRequest request(HttpMethod method, String uri, EncodedBody body) {
    ByteBuf content;
    if (body == null) {
      content = Unpooled.EMPTY_BUFFER;
    } else if (body.binary().isEmpty()) {
      content = Unpooled.wrappedBuffer(body.json());
    } else {
      ByteBuffer[] parts = new ByteBuffer[1 + body.binary().size()];
      parts[0] = body.json();
      for (int i = 1; i < parts.length; i++) {
        parts[i] = body.binary().get(i - 1);
      }
      content = Unpooled.wrappedBuffer(parts);
    }
    FullHttpRequest r =
        new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri, content, HEADERS, TRAILERS);
    HttpHeaders h = r.headers();
    config.headers().forEach(h::set);
    h.set(HttpHeaderNames.HOST, hostHeader);
    h.setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
    if (body != null) {
      h.set(HttpHeaderNames.CONTENT_TYPE, body.contentType());
      body.inferenceHeaderContentLength()
          .ifPresent(l -> h.setInt(OipNames.INFERENCE_HEADER_CONTENT_LENGTH, l));
    }
    return r;
  }

  /** An idle connection that is still open, or null. Holds the lock. */
  private Channel pollIdle() {
    Channel ch;
    while ((ch = idle.pollFirst()) != null) {
      if (ch.isActive()) {
        return ch;
      }
    }
    return null;
  }

  private void connect(Exchange<?> ex) {
    ChannelFuture f = bootstrap.connect(config.host(), config.port());
    f.addListener(
        (ChannelFutureListener)
            done -> {
              if (done.isSuccess()) {
                Channel ch = done.channel();
                boolean late;
                synchronized (lock) {
                  late = closed;
                  all.add(ch);
                }
                if (late) {
                  ch.close();
                  ex.fail(StrataException.unavailable("client is closed"));
                  return;
                }
                dispatch(ch, ex);
              } else {
                synchronized (lock) {
                  open--;
                }
                ex.fail(
                    new StrataException(
                        ErrorCode.UNAVAILABLE,
                        "cannot connect to " + address + ": " + describe(done.cause()),
                        done.cause()));
                slotFreed();
              }
            });
  }

  private static void dispatch(Channel ch, Exchange<?> ex) {
    EventLoop loop = ch.eventLoop();
    if (loop.inEventLoop()) {
      ch.pipeline().get(ExchangeHandler.class).start(ch, ex);
    } else {
      loop.execute(() -> ch.pipeline().get(ExchangeHandler.class).start(ch, ex));
    }
  }

  /** A connection is free again: it serves the next waiting exchange or goes idle. */
  private void release(Channel ch) {
    Exchange<?> next;
    synchronized (lock) {
      if (closed) {
        ch.close();
        return;
      }
      next = waiting.pollFirst();
      if (next == null) {
        idle.addFirst(ch);
        return;
      }
    }
    dispatch(ch, next);
  }

  /** A connection closed: free its slot, opening a new connection for a waiting exchange. */
  private void connectionClosed(Channel ch) {
    synchronized (lock) {
      open--;
      idle.remove(ch);
      all.remove(ch);
    }
    slotFreed();
  }

  private void slotFreed() {
    Exchange<?> next;
    synchronized (lock) {
      if (closed || open >= config.maxConnections()) {
        return;
      }
      next = waiting.pollFirst();
      if (next == null) {
        return;
      }
      open++;
    }
    connect(next);
  }

  @Override
  public void close() {
    List<Channel> channels;
    List<Exchange<?>> pending;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      channels = new ArrayList<>(all);
      pending = new ArrayList<>(waiting);
      waiting.clear();
      idle.clear();
    }
    for (Exchange<?> ex : pending) {
      ex.fail(StrataException.unavailable("client is closed"));
    }
    for (Channel ch : channels) {
      ch.close();
    }
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private static String describe(Throwable t) {
    return t == null ? "unknown error" : t.getMessage() == null ? t.toString() : t.getMessage();
  }

  /** The one exchange a connection is carrying, and what happens to it. */
  private final class ExchangeHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
    private Exchange<?> current;

    void start(Channel ch, Exchange<?> ex) {
      if (!ch.isActive()) {
        // The server closed this idle connection before we used it; the request never left.
        submit(ex, true);
        return;
      }
      current = ex;
      ex.timer =
          ch.eventLoop().schedule(() -> timeout(ch, ex), ex.timeoutNanos, TimeUnit.NANOSECONDS);
      ch.writeAndFlush(ex.request, ch.voidPromise());
    }

    private void timeout(Channel ch, Exchange<?> ex) {
      if (current != ex) {
        return;
      }
      current = null;
      ex.fail(
          new StrataException(
              ErrorCode.DEADLINE_EXCEEDED,
              "no response from " + address + " within " + Duration.ofNanos(ex.timeoutNanos)));
      ch.close();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
      Exchange<?> ex = current;
      current = null;
      if (ex == null) {
        ctx.close();
        return;
      }
      ex.timer.cancel(false);
      if (response.decoderResult().isFailure()) {
        boolean http2 = Boolean.TRUE.equals(ctx.channel().attr(FirstBytes.HTTP2).get());
        ctx.close();
        ex.fail(
            StrataException.unavailable(
                http2
                    ? "%s answered with HTTP/2, not HTTP/1.1: it is a gRPC port (use --url"
                        + " grpc://%s, or the server's REST port)"
                    : "%s did not answer in HTTP/1.1 (%s): is it an Open Inference Protocol REST"
                        + " port?",
                address,
                http2 ? address : describe(response.decoderResult().cause())));
        return;
      }
      byte[] body = ByteBufUtil.getBytes(response.content());
      boolean keepAlive = HttpUtil.isKeepAlive(response);
      if (keepAlive) {
        release(ctx.channel());
      } else {
        ctx.close();
      }
      complete(ex, response.status().code(), response.headers(), body);
    }

    private <T> void complete(Exchange<T> ex, int status, HttpHeaders headers, byte[] body) {
      T value;
      try {
        value = ex.reader.read(status, headers, body);
      } catch (StrataException e) {
        ex.future.completeExceptionally(e);
        return;
      } catch (RuntimeException e) {
        ex.future.completeExceptionally(
            new StrataException(
                ErrorCode.INTERNAL, "unreadable response from " + address + ": " + e, e));
        return;
      }
      ex.future.complete(value);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      Exchange<?> ex = current;
      current = null;
      if (ex != null) {
        boolean http2 = Boolean.TRUE.equals(ctx.channel().attr(FirstBytes.HTTP2).get());
        ex.fail(
            http2
                ? StrataException.unavailable(
                    "%s answered with HTTP/2, not HTTP/1.1: it is a gRPC port (use --url"
                        + " grpc://%s, or the server's REST port)",
                    address, address)
                : StrataException.unavailable(
                    "connection to %s closed before the response arrived", address));
      }
      connectionClosed(ctx.channel());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      Exchange<?> ex = current;
      current = null;
      if (ex != null) {
        ex.fail(
            cause instanceof TooLongFrameException
                ? new StrataException(
                    ErrorCode.RESOURCE_EXHAUSTED,
                    "response from "
                        + address
                        + " is over maxMessageBytes "
                        + config.maxMessageBytes(),
                    cause)
                : new StrataException(
                    ErrorCode.UNAVAILABLE,
                    "connection to " + address + " failed: " + describe(cause),
                    cause));
      }
      ctx.close();
    }
  }

  /**
   * Looks at the first bytes a server sends: an HTTP/2 server (a gRPC port) opens with a SETTINGS
   * frame, which HTTP/1.1's decoder can only call a malformed status line. Steps aside after them.
   */
  private static final class FirstBytes extends io.netty.channel.ChannelInboundHandlerAdapter {
    static final String NAME = "first-bytes";
    static final io.netty.util.AttributeKey<Boolean> HTTP2 =
        io.netty.util.AttributeKey.valueOf("strata-http2");

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof ByteBuf b && b.readableBytes() >= 9) {
        int i = b.readerIndex();
        // a frame header: 24-bit length, type, flags, stream 0; SETTINGS (4) or GOAWAY (7)
        int type = b.getUnsignedByte(i + 3);
        boolean http2 = (type == 4 || type == 7) && (b.getInt(i + 5) & 0x7fffffff) == 0;
        ctx.channel().attr(HTTP2).set(http2);
      }
      ctx.pipeline().remove(this);
      ctx.fireChannelRead(msg);
    }
  }
}
