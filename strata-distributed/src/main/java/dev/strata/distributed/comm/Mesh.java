package dev.strata.distributed.comm;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Framed messages between the members of one training session (the workers, and the driver when it
 * holds the parameter server), over Netty TCP connections. Each member listens on one port; a
 * connection starts with a hello naming the sender's rank and the session, so a member of an
 * earlier attempt of the same job (a task Spark has not finished killing) is refused. Frames from a
 * peer, on whichever connection they arrive, queue in that peer's inbox in order.
 *
 * <p>A frame is {@code [kind:int][tag:long][payload]}; the payload is little-endian floats or plain
 * bytes. Receiving waits at most the step timeout and fails naming the peer, as does a peer that
 * closes its connection.
 */
public final class Mesh implements AutoCloseable {
  /** Largest frame: a 256 MiB chunk of gradients. */
  static final int MAX_FRAME = 256 << 20;

  private static final int HELLO = -1;
  private static final AttributeKey<Integer> PEER = AttributeKey.valueOf("strata.peer");
  private static final Object CLOSED = new Object();

  private final int rank;
  private final String session;
  private final EventLoopGroup group;
  private final Channel server;

  /** Connections this member opened, by peer: it sends on these. */
  private final Map<Integer, Channel> outbound = new ConcurrentHashMap<>();

  /** Connections peers opened to this member (a server answers on these). */
  private final Map<Integer, Channel> inbound = new ConcurrentHashMap<>();

  private final Map<Integer, BlockingQueue<Object>> inboxes = new ConcurrentHashMap<>();
  private final Map<Integer, String> names = new ConcurrentHashMap<>();
  private volatile long bytesSent;

  private Mesh(int rank, String session, InetAddress host) {
    this.rank = rank;
    this.session = requireNonNull(session, "session");
    this.group =
        new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("strata-mesh-" + rank, true), NioIoHandler.newFactory());
    try {
      this.server =
          new ServerBootstrap()
              .group(group)
              .channel(NioServerSocketChannel.class)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childHandler(initializer(null))
              .bind(new InetSocketAddress(host, 0))
              .sync()
              .channel();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      group.shutdownGracefully();
      throw StrataException.internal("interrupted while binding", e);
    } catch (RuntimeException e) {
      group.shutdownGracefully();
      throw e;
    }
  }

  /** A member of {@code session} with this rank, listening on an ephemeral port of {@code host}. */
  public static Mesh bind(int rank, String session, InetAddress host) {
    return new Mesh(rank, session, host);
  }

  public int rank() {
    return rank;
  }

  /** Where this member listens. */
  public InetSocketAddress address() {
    return (InetSocketAddress) server.localAddress();
  }

  /** Bytes of frames this member has sent (payload and headers). */
  public long bytesSent() {
    return bytesSent;
  }

  /** Names a peer in messages (e.g. "worker 1 at 127.0.0.1:41234"). */
  public void name(int peer, String name) {
    names.put(peer, name);
  }

  /** Opens a connection to {@code peer}, retrying until {@code timeout} while it starts. */
  public void connect(int peer, InetSocketAddress address, Duration timeout) {
    names.putIfAbsent(peer, "rank " + peer + " at " + address);
    long deadline = System.nanoTime() + timeout.toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      try {
        Channel c =
            new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .handler(initializer(peer))
                .connect(address)
                .sync()
                .channel();
        byte[] hello = session.getBytes(StandardCharsets.UTF_8);
        ByteBuf b = c.alloc().buffer(12 + hello.length);
        b.writeInt(HELLO).writeLong(rank).writeBytes(hello);
        c.writeAndFlush(b).sync();
        outbound.put(peer, c);
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw StrataException.internal("interrupted while connecting to " + name(peer), e);
      } catch (RuntimeException e) {
        last = e;
        sleep(100);
      }
    }
    throw StrataException.unavailable(
        "cannot connect to %s within %s (%s)",
        name(peer), timeout, last == null ? "timed out" : last.getMessage());
  }

  /** Sends {@code len} floats of {@code v} from {@code off}. */
  public void send(int peer, int kind, long tag, float[] v, int off, int len) {
    Channel c = channel(peer);
    ByteBuf b = c.alloc().directBuffer(12 + 4 * len);
    b.writeInt(kind).writeLong(tag);
    int at = b.writerIndex();
    b.nioBuffer(at, 4 * len).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(v, off, len);
    b.writerIndex(at + 4 * len);
    write(c, b);
  }

  /** Sends plain bytes. */
  public void send(int peer, int kind, long tag, byte[] payload) {
    Channel c = channel(peer);
    ByteBuf b = c.alloc().directBuffer(12 + payload.length);
    b.writeInt(kind).writeLong(tag).writeBytes(payload);
    write(c, b);
  }

  private void write(Channel c, ByteBuf b) {
    bytesSent += b.readableBytes() + 4L;
    c.writeAndFlush(b);
  }

  /**
   * The next frame from {@code peer}; the caller closes it.
   *
   * @throws StrataException naming the peer when none comes within {@code timeout} or the peer went
   *     away
   */
  public Frame receive(int peer, Duration timeout) {
    Object o;
    try {
      o = inbox(peer).poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw StrataException.internal("interrupted while waiting for " + name(peer), e);
    }
    if (o == null) {
      throw StrataException.unavailable(
          "no message from %s within %s (the step timeout): it stalled or is gone",
          name(peer), timeout);
    }
    if (o == CLOSED) {
      inbox(peer).offer(CLOSED);
      throw StrataException.unavailable("%s closed its connection", name(peer));
    }
    return (Frame) o;
  }

  private String name(int peer) {
    return names.getOrDefault(peer, "rank " + peer);
  }

  private Channel channel(int peer) {
    Channel c = outbound.get(peer);
    if (c == null) {
      c = inbound.get(peer);
    }
    if (c == null || !c.isActive()) {
      throw StrataException.unavailable("no connection to %s", name(peer));
    }
    return c;
  }

  private BlockingQueue<Object> inbox(int peer) {
    return inboxes.computeIfAbsent(peer, p -> new LinkedBlockingQueue<>());
  }

  private ChannelInitializer<SocketChannel> initializer(Integer outboundPeer) {
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(SocketChannel ch) {
        if (outboundPeer != null) {
          ch.attr(PEER).set(outboundPeer);
        }
        ch.pipeline()
            .addLast(new LengthFieldBasedFrameDecoder(MAX_FRAME, 0, 4, 0, 4))
            .addLast(new LengthFieldPrepender(4))
            .addLast(new Inbound());
      }
    };
  }

  private void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw StrataException.internal("interrupted", e);
    }
  }

  @Override
  public void close() {
    for (Channel c : outbound.values()) {
      c.close();
    }
    for (Channel c : inbound.values()) {
      c.close();
    }
    server.close();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    for (BlockingQueue<Object> q : inboxes.values()) {
      for (Object o : q) {
        if (o instanceof Frame f) {
          f.close();
        }
      }
    }
  }

  private final class Inbound extends SimpleChannelInboundHandler<ByteBuf> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
      Integer peer = ctx.channel().attr(PEER).get();
      int kind = msg.readInt();
      long tag = msg.readLong();
      if (peer == null) {
        String s = msg.toString(StandardCharsets.UTF_8);
        if (kind != HELLO || !s.equals(session) || tag < 0 || tag > Integer.MAX_VALUE) {
          ctx.close();
          return;
        }
        int from = (int) tag;
        ctx.channel().attr(PEER).set(from);
        Channel earlier = inbound.put(from, ctx.channel());
        if (earlier != null) {
          // the peer connected again (a retried task): what its old connection left is void
          earlier.close();
          BlockingQueue<Object> q = inbox(from);
          for (Object o; (o = q.poll()) != null; ) {
            if (o instanceof Frame f) {
              f.close();
            }
          }
        }
        return;
      }
      inbox(peer).offer(new Frame(kind, tag, msg.retain()));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      Integer peer = ctx.channel().attr(PEER).get();
      if (peer != null
          && (outbound.get(peer) == ctx.channel() || inbound.get(peer) == ctx.channel())) {
        inbox(peer).offer(CLOSED);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** One received frame; {@link #close} hands its buffer back. */
  public static final class Frame implements AutoCloseable {
    private final int kind;
    private final long tag;
    private final ByteBuf payload;

    Frame(int kind, long tag, ByteBuf payload) {
      this.kind = kind;
      this.tag = tag;
      this.payload = payload;
    }

    public int kind() {
      return kind;
    }

    public long tag() {
      return tag;
    }

    /** Payload floats. */
    public int floats() {
      return payload.readableBytes() / 4;
    }

    /** Copies (or, with {@code add}, adds) the payload floats into {@code dst} from {@code off}. */
    public void floatsInto(float[] dst, int off, boolean add) {
      java.nio.FloatBuffer f =
          payload
              .nioBuffer(payload.readerIndex(), payload.readableBytes())
              .order(ByteOrder.LITTLE_ENDIAN)
              .asFloatBuffer();
      int n = f.remaining();
      if (add) {
        for (int i = 0; i < n; i++) {
          dst[off + i] += f.get(i);
        }
      } else {
        f.get(dst, off, n);
      }
    }

    public byte[] bytes() {
      byte[] b = new byte[payload.readableBytes()];
      payload.getBytes(payload.readerIndex(), b);
      return b;
    }

    @Override
    public void close() {
      payload.release();
    }
  }
}
