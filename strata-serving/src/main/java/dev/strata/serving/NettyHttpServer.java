package dev.strata.serving;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP/1.1 listener: TLS when configured, Netty's codec, then {@link HttpConnectionHandler}.
 */
final class NettyHttpServer {
  private final HttpServerState state = new HttpServerState();
  private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final Channel listener;

  NettyHttpServer(
      ServingConfig config,
      HttpRoutes routes,
      EventLoopGroup boss,
      EventLoopGroup workers,
      Optional<SslContext> tls,
      Executor streamingExecutor)
      throws InterruptedException {
    ServerBootstrap b =
        new ServerBootstrap()
            .group(boss, workers)
            .channel(NettyTransport.serverChannel())
            .option(ChannelOption.SO_BACKLOG, 1024)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    connections.add(ch);
                    tls.ifPresent(ssl -> ch.pipeline().addLast("tls", ssl.newHandler(ch.alloc())));
                    ch.pipeline()
                        .addLast("codec", new HttpServerCodec())
                        .addLast(
                            "strata",
                            new HttpConnectionHandler(
                                routes, config.maxRequestBytes(), state, streamingExecutor));
                  }
                });
    try {
      listener = b.bind(config.host(), config.httpPort()).sync().channel();
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) { // Netty rethrows the bind's checked exception as it is
      throw listenFailure("HTTP", config.host(), config.httpPort(), "--http-port", e);
    }
  }

  /**
   * Why a listener could not bind, naming the port: in use, or an address this machine does not
   * have.
   */
  static UncheckedIOException listenFailure(
      String protocol, String host, int port, String option, Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null && !(cause instanceof java.net.BindException)) {
      cause = cause.getCause();
    }
    String text = String.valueOf(cause.getMessage());
    IOException io = e instanceof IOException x ? x : new IOException(text, e);
    if (text.contains("Address already in use")) {
      return new UncheckedIOException(
          String.format(
              "%s port %d on %s is already in use (another process listens there; choose another"
                  + " with %s)",
              protocol, port, host, option),
          io);
    }
    return new UncheckedIOException(
        String.format("cannot listen for %s on %s:%d (%s)", protocol, host, port, text), io);
  }

  int port() {
    return ((InetSocketAddress) listener.localAddress()).getPort();
  }

  /** Stops accepting connections; requests on open connections now get 503 and a close. */
  void stopAccepting() {
    state.startDraining();
    listener.close().syncUninterruptibly();
  }

  /**
   * Waits until in-flight requests are answered or the deadline passes, then closes every
   * connection.
   */
  void awaitDrainedAndClose(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (state.inFlight() > 0 && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(5);
    }
    connections.close().await(1, TimeUnit.SECONDS);
  }

  int inFlight() {
    return state.inFlight();
  }
}
