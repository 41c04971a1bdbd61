package dev.strata.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A request body is collected in the buffers it arrived in, up to the limit, and then let go. */
class RequestBodyAggregatorTest {
  private static final int LIMIT = 10;

  private final EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
  private final ChannelHandlerContext ctx = channel.pipeline().firstContext();
  private final RequestBodyAggregator bodies = new RequestBodyAggregator(LIMIT);
  private final List<ByteBuf> chunks = new ArrayList<>();

  @AfterEach
  void finish() {
    channel.finishAndReleaseAll();
  }

  @Test
  void collectsTheChunksThemselvesUntilTheLastOne() {
    assertThat(bodies.begin(ctx, post())).isEmpty();

    assertThat(offer(content("abc"))).isInstanceOf(RequestBodyAggregator.More.class);
    RequestBodyAggregator.Outcome outcome = offer(last("defg"));

    assertThat(outcome).isInstanceOf(RequestBodyAggregator.Complete.class);
    RequestBody body = ((RequestBodyAggregator.Complete) outcome).body();
    assertThat(body.length()).isEqualTo(7);
    assertThat(body.buffers()).as("one view per network chunk: no copy").hasSize(2);
    assertThat(StandardCharsets.UTF_8.decode(body.bytes()).toString()).isEqualTo("abcdefg");
    assertThat(chunks).allSatisfy(c -> assertThat(c.refCnt()).isEqualTo(1));

    body.release();
    assertThat(chunks).allSatisfy(c -> assertThat(c.refCnt()).isZero());
    assertThatThrownBy(body::buffers).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void noBodyIsTheEmptyBody() {
    bodies.begin(ctx, post());

    RequestBodyAggregator.Outcome outcome = offer(LastHttpContent.EMPTY_LAST_CONTENT);

    assertThat(outcome).isEqualTo(new RequestBodyAggregator.Complete(RequestBody.EMPTY));
  }

  @Test
  void bodyOverTheLimitIsRefusedWith413AndItsBuffersReleased() {
    bodies.begin(ctx, post());
    offer(content("123456"));

    RequestBodyAggregator.Outcome outcome = offer(content("789012"));

    assertThat(outcome).isInstanceOf(RequestBodyAggregator.Refused.class);
    HttpResult answer = ((RequestBodyAggregator.Refused) outcome).answer();
    assertThat(answer.status()).isEqualTo(413);
    assertThat(text(answer)).contains("request body of 12 bytes is over the limit of 10 bytes");
    assertThat(chunks).allSatisfy(c -> assertThat(c.refCnt()).isZero());

    assertThat(offer(content("more"))).isInstanceOf(RequestBodyAggregator.More.class);
    assertThat(offer(last("end"))).isInstanceOf(RequestBodyAggregator.Dropped.class);
    assertThat(chunks).allSatisfy(c -> assertThat(c.refCnt()).isZero());
  }

  @Test
  void bodyAtTheLimitIsAccepted() {
    bodies.begin(ctx, post());

    RequestBodyAggregator.Outcome outcome = offer(last("0123456789"));

    assertThat(outcome).isInstanceOf(RequestBodyAggregator.Complete.class);
    ((RequestBodyAggregator.Complete) outcome).body().release();
  }

  @Test
  void declaredLengthOverTheLimitIsRefusedBeforeTheBodyWithoutContinue() {
    HttpRequest request = post();
    request.headers().set(HttpHeaderNames.CONTENT_LENGTH, 11);
    request.headers().set(HttpHeaderNames.EXPECT, HttpHeaderValues.CONTINUE);

    assertThat(bodies.begin(ctx, request))
        .hasValueSatisfying(
            answer -> {
              assertThat(answer.status()).isEqualTo(413);
              assertThat(text(answer)).contains("request body of 11 bytes");
            });
    assertThat((Object) channel.readOutbound()).as("no 100 Continue").isNull();
    assertThat(offer(content("0123456789"))).isInstanceOf(RequestBodyAggregator.More.class);
    assertThat(offer(last("x"))).isInstanceOf(RequestBodyAggregator.Dropped.class);
    assertThat(chunks).allSatisfy(c -> assertThat(c.refCnt()).isZero());
  }

  @Test
  void clientWaitingForContinueGetsItWhenTheBodyMayFit() {
    HttpRequest request = post();
    request.headers().set(HttpHeaderNames.CONTENT_LENGTH, 5);
    request.headers().set(HttpHeaderNames.EXPECT, HttpHeaderValues.CONTINUE);

    assertThat(bodies.begin(ctx, request)).isEmpty();

    FullHttpResponse sent = channel.readOutbound();
    try {
      assertThat(sent.status()).isEqualTo(HttpResponseStatus.CONTINUE);
    } finally {
      sent.release();
    }
  }

  @Test
  void discardReleasesWhatIsCollectedAndDropsTheRest() {
    bodies.begin(ctx, post());
    offer(content("abc"));

    bodies.discard();

    assertThat(chunks).allSatisfy(c -> assertThat(c.refCnt()).isZero());
    assertThat(offer(last("def"))).isInstanceOf(RequestBodyAggregator.Dropped.class);
    assertThat(chunks).allSatisfy(c -> assertThat(c.refCnt()).isZero());
  }

  @Test
  void nextRequestStartsAfreshAndReleasesWhatWasLeft() {
    bodies.begin(ctx, post());
    offer(content("abc")); // its last chunk never comes

    bodies.begin(ctx, post());

    assertThat(chunks).allSatisfy(c -> assertThat(c.refCnt()).isZero());
    RequestBodyAggregator.Outcome outcome = offer(last("xyz"));
    RequestBody body = ((RequestBodyAggregator.Complete) outcome).body();
    assertThat(StandardCharsets.UTF_8.decode(body.bytes()).toString()).isEqualTo("xyz");
    body.release();
  }

  @Test
  void releaseOnCloseLetsTheCollectedBuffersGo() {
    bodies.begin(ctx, post());
    offer(content("abc"));

    bodies.release();

    assertThat(chunks).allSatisfy(c -> assertThat(c.refCnt()).isZero());
  }

  /** Offers {@code content} and releases it afterwards, as the connection handler does. */
  private RequestBodyAggregator.Outcome offer(HttpContent content) {
    try {
      return bodies.offer(ctx, content);
    } finally {
      content.release();
    }
  }

  private HttpContent content(String text) {
    return new DefaultHttpContent(pooled(text));
  }

  private HttpContent last(String text) {
    return new DefaultLastHttpContent(pooled(text));
  }

  private ByteBuf pooled(String text) {
    ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer();
    buf.writeCharSequence(text, StandardCharsets.UTF_8);
    chunks.add(buf);
    return buf;
  }

  private static HttpRequest post() {
    return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/v2/models/m/infer");
  }

  private static String text(HttpResult result) {
    StringBuilder s = new StringBuilder();
    for (ByteBuffer b : result.body()) {
      s.append(StandardCharsets.UTF_8.decode(b.duplicate()));
    }
    return s.toString();
  }
}
