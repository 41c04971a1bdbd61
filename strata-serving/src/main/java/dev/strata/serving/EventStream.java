package dev.strata.serving;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A response body of server-sent events ({@code text/event-stream}, chunked, of unknown length),
 * pushed while it is produced: a route handler creates one, answers with {@link
 * HttpResult#events(int, EventStream)} and then, from any thread, {@link #send sends} events and
 * {@link #end ends} it. What is sent before the response goes out (an earlier pipelined response is
 * still pending) is kept and written with it.
 *
 * <p>When the client goes away first (its connection closes) every {@link #onClose} callback runs
 * once and later sends return {@code false}: a producer stops its work there (a language model
 * stops generating).
 */
public final class EventStream {
  private final ArrayDeque<ByteBuf> early = new ArrayDeque<>();
  private final List<Runnable> closeCallbacks = new ArrayList<>();
  private ChannelHandlerContext ctx;
  private boolean ended;
  private boolean closed;
  private boolean endWritten;
  private ChannelFutureListener afterEnd;

  /** A stream not yet attached to a response. */
  public static EventStream create() {
    return new EventStream();
  }

  private EventStream() {}

  /**
   * Sends one event: {@code data: <data>} and a blank line ({@code data} must not contain a line
   * break; JSON written compactly has none).
   *
   * @return false when the client is gone or the stream was ended: nothing was sent
   */
  public boolean send(String data) {
    if (data.indexOf('\n') >= 0 || data.indexOf('\r') >= 0) {
      throw new IllegalArgumentException("an event's data must be one line");
    }
    return write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
  }

  /** Sends a comment line ({@code : text}), which clients ignore: a keep-alive. */
  public boolean comment(String text) {
    return write((": " + text.replace('\n', ' ') + "\n\n").getBytes(StandardCharsets.UTF_8));
  }

  private boolean write(byte[] bytes) {
    ChannelHandlerContext c;
    synchronized (this) {
      if (ended || closed) {
        return false;
      }
      if (ctx == null) {
        early.add(Unpooled.wrappedBuffer(bytes));
        return true;
      }
      c = ctx;
    }
    ByteBuf buf = Unpooled.wrappedBuffer(bytes);
    c.executor()
        .execute(
            () -> {
              if (isClosed()) {
                buf.release();
                return;
              }
              c.writeAndFlush(new DefaultHttpContent(buf));
            });
    return true;
  }

  /** Ends the stream: the last chunk goes out and the connection serves its next request. */
  public void end() {
    ChannelHandlerContext c;
    synchronized (this) {
      if (ended || closed) {
        return;
      }
      ended = true;
      c = ctx;
    }
    if (c != null) {
      c.executor().execute(() -> writeEnd(c));
    }
  }

  /** Runs {@code callback} once if the client goes away before the stream ends (at once if so). */
  public void onClose(Runnable callback) {
    boolean now;
    synchronized (this) {
      now = closed;
      if (!now) {
        closeCallbacks.add(callback);
      }
    }
    if (now) {
      callback.run();
    }
  }

  /** Whether the client went away before the end. */
  public synchronized boolean isClosed() {
    return closed;
  }

  /** Whether {@link #end()} was called. */
  public synchronized boolean isEnded() {
    return ended;
  }

  /**
   * The response head is written: events kept so far go out, later ones as they come. Runs on the
   * connection's event loop.
   *
   * @param afterEnd what to do once the last chunk is written (count the request finished, close a
   *     connection that does not stay open)
   */
  void attach(ChannelHandlerContext c, ChannelFutureListener afterEnd) {
    List<ByteBuf> kept;
    boolean end;
    synchronized (this) {
      ctx = c;
      kept = new ArrayList<>(early);
      early.clear();
      end = ended;
      this.afterEnd = afterEnd;
    }
    for (ByteBuf b : kept) {
      c.write(new DefaultHttpContent(b));
    }
    c.channel().closeFuture().addListener(f -> close());
    if (end) {
      writeEnd(c);
    }
  }

  private void writeEnd(ChannelHandlerContext c) {
    ChannelFutureListener then;
    synchronized (this) {
      if (endWritten || closed) {
        return;
      }
      endWritten = true;
      then = afterEnd;
    }
    var f = c.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    if (then != null) {
      f.addListener(then);
    }
  }

  /** The connection closed (or the response was dropped): callbacks run, kept events freed. */
  void close() {
    List<Runnable> run;
    List<ByteBuf> kept;
    synchronized (this) {
      if (closed || endWritten) {
        return;
      }
      closed = true;
      run = new ArrayList<>(closeCallbacks);
      closeCallbacks.clear();
      kept = new ArrayList<>(early);
      early.clear();
    }
    for (ByteBuf b : kept) {
      b.release();
    }
    for (Runnable r : run) {
      r.run();
    }
  }
}
