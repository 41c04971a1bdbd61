package dev.strata.serving;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The connection handler wires body collection to routing and to ordered answers. */
class HttpConnectionHandlerTest {
  private final Map<String, CompletableFuture<HttpResult>> answers = new ConcurrentHashMap<>();
  private final List<RequestBody> received = new ArrayList<>();
  private final HttpServerState state = new HttpServerState();
  private final HttpRoutes routes =
      HttpRoutes.create()
          .get("/wait/{name}", call -> answers.get(call.pathParams().get("name")))
          .post(
              "/echo",
              call -> {
                received.add(call.content());
                return CompletableFuture.completedFuture(
                    HttpResult.text(200, StandardCharsets.UTF_8.decode(call.body()).toString()));
              });
  private final EmbeddedChannel channel =
      new EmbeddedChannel(new HttpConnectionHandler(routes, 16, state, Runnable::run));
  private final List<ByteBuf> sent = new ArrayList<>();

  @AfterEach
  void finish() {
    channel.finishAndReleaseAll();
  }

  @Test
  void pipelinedRequestsAreAnsweredInRequestOrder() {
    answers.put("a", new CompletableFuture<>());
    answers.put("b", new CompletableFuture<>());
    channel.writeInbound(get("/wait/a"), LastHttpContent.EMPTY_LAST_CONTENT);
    channel.writeInbound(get("/wait/b"), LastHttpContent.EMPTY_LAST_CONTENT);

    answers.get("b").complete(HttpResult.text(200, "b"));
    assertThat((Object) channel.readOutbound()).isNull();
    answers.get("a").complete(HttpResult.text(200, "a"));

    assertThat(responses()).containsExactly("200 a", "200 b");
    assertThat(state.inFlight()).isZero();
  }

  @Test
  void bodyOverTheLimitIsAnswered413AndTheConnectionServesTheNextRequest() {
    channel.writeInbound(post("/echo"), content("0123456789"), content("0123456789"));
    channel.writeInbound(last("and the rest"));

    List<String> first = responses();
    assertThat(first).hasSize(1);
    assertThat(first.getFirst()).startsWith("413 ").contains("over the limit of 16 bytes");
    assertThat(sent).allSatisfy(b -> assertThat(b.refCnt()).as("released").isZero());
    assertThat(channel.isOpen()).isTrue();

    channel.writeInbound(post("/echo"), content("hello "), last("there"));

    assertThat(responses()).containsExactly("200 hello there");
    assertThat(received).hasSize(1);
    assertThat(sent).allSatisfy(b -> assertThat(b.refCnt()).as("released").isZero());
    assertThat(state.inFlight()).isZero();
  }

  @Test
  void closedConnectionCancelsPendingAnswers() {
    CompletableFuture<HttpResult> waiting = new CompletableFuture<>();
    answers.put("a", waiting);
    channel.writeInbound(get("/wait/a"), LastHttpContent.EMPTY_LAST_CONTENT);

    channel.close();

    assertThat(waiting).isCancelled();
    assertThat(state.inFlight()).isZero();
  }

  /** Each response written so far as "status body", in order. */
  private List<String> responses() {
    List<String> out = new ArrayList<>();
    FullHttpResponse r;
    while ((r = channel.readOutbound()) != null) {
      try {
        out.add(r.status().code() + " " + r.content().toString(StandardCharsets.UTF_8));
      } finally {
        r.release();
      }
    }
    return out;
  }

  private static DefaultHttpRequest get(String uri) {
    return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
  }

  private static DefaultHttpRequest post(String uri) {
    return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, uri);
  }

  private DefaultHttpContent content(String text) {
    return new DefaultHttpContent(pooled(text));
  }

  private DefaultLastHttpContent last(String text) {
    return new DefaultLastHttpContent(pooled(text));
  }

  private ByteBuf pooled(String text) {
    ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer();
    buf.writeCharSequence(text, StandardCharsets.UTF_8);
    sent.add(buf);
    return buf;
  }
}
