package dev.strata.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Responses go out in request order, whatever order their stages complete in. */
class ResponseSequencerTest {
  private final EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
  private final ChannelHandlerContext ctx = channel.pipeline().firstContext();
  private final HttpServerState state = new HttpServerState();
  private final AtomicInteger closings = new AtomicInteger();
  private final ResponseSequencer responses =
      new ResponseSequencer(state, closings::incrementAndGet);

  @AfterEach
  void finish() {
    channel.finishAndReleaseAll();
  }

  @Test
  void responsesCompletingOutOfOrderAreWrittenInRequestOrder() {
    List<CompletableFuture<HttpResult>> stages = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      CompletableFuture<HttpResult> stage = new CompletableFuture<>();
      stages.add(stage);
      responses.answer(ctx, responses.reserve(), stage, true, false);
    }
    assertThat(state.inFlight()).isEqualTo(3);

    stages.get(2).complete(HttpResult.text(200, "third"));
    assertThat((Object) channel.readOutbound()).as("third waits for the first two").isNull();

    stages.get(0).complete(HttpResult.text(200, "first"));
    assertThat(bodies()).containsExactly("first");
    assertThat(state.inFlight()).isEqualTo(2);

    stages.get(1).complete(HttpResult.text(200, "second"));
    assertThat(bodies()).containsExactly("second", "third");
    assertThat(state.inFlight()).isZero();
    assertThat(channel.isOpen()).isTrue();
    assertThat(closings).hasValue(0);
  }

  @Test
  void responseThatClosesTheConnectionIsTheLastOneWritten() {
    CompletableFuture<HttpResult> closing = new CompletableFuture<>();
    responses.answer(ctx, responses.reserve(), closing, false, false);
    responses.answer(
        ctx,
        responses.reserve(),
        CompletableFuture.completedFuture(HttpResult.text(200, "after")),
        true,
        false);

    closing.complete(HttpResult.text(200, "last"));

    FullHttpResponse last = channel.readOutbound();
    try {
      assertThat(last.content().toString(StandardCharsets.UTF_8)).isEqualTo("last");
      assertThat(last.headers().get(HttpHeaderNames.CONNECTION))
          .isEqualTo(HttpHeaderValues.CLOSE.toString());
    } finally {
      last.release();
    }
    assertThat((Object) channel.readOutbound()).isNull();
    assertThat(channel.isOpen()).isFalse();
    assertThat(closings).hasValue(1);
  }

  @Test
  void drainingServerClosesTheConnectionAfterTheResponse() {
    state.startDraining();
    responses.answer(
        ctx,
        responses.reserve(),
        CompletableFuture.completedFuture(HttpResult.text(200, "ok")),
        true,
        false);

    FullHttpResponse response = channel.readOutbound();
    try {
      assertThat(response.headers().get(HttpHeaderNames.CONNECTION))
          .isEqualTo(HttpHeaderValues.CLOSE.toString());
    } finally {
      response.release();
    }
    assertThat(channel.isOpen()).isFalse();
  }

  @Test
  void failedStageIsAnsweredWithItsErrorsStatus() {
    responses.answer(
        ctx,
        responses.reserve(),
        CompletableFuture.failedFuture(new StrataException(ErrorCode.NOT_FOUND, "no model 'x'")),
        true,
        false);

    FullHttpResponse response = channel.readOutbound();
    try {
      assertThat(response.status().code()).isEqualTo(404);
      assertThat(response.content().toString(StandardCharsets.UTF_8)).contains("no model 'x'");
    } finally {
      response.release();
    }
  }

  @Test
  void headAnswerGivesTheLengthWithoutTheBody() {
    responses.answer(
        ctx,
        responses.reserve(),
        CompletableFuture.completedFuture(HttpResult.text(200, "twelve bytes")),
        true,
        true);

    FullHttpResponse response = channel.readOutbound();
    try {
      assertThat(response.headers().get(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo("12");
      assertThat(response.content().readableBytes()).isZero();
    } finally {
      response.release();
    }
  }

  @Test
  void abandonCancelsPendingStagesClosesStreamsAndGivesBackTheInFlightCount() {
    CompletableFuture<HttpResult> waiting = new CompletableFuture<>();
    responses.answer(ctx, responses.reserve(), waiting, true, false);
    AtomicBoolean streamClosed = new AtomicBoolean();
    ByteArrayInputStream in =
        new ByteArrayInputStream(new byte[4]) {
          @Override
          public void close() {
            streamClosed.set(true);
          }
        };
    responses.answer(
        ctx,
        responses.reserve(),
        CompletableFuture.completedFuture(
            HttpResult.stream(200, HttpResult.OCTET_STREAM, Map.of(), 4, in)),
        true,
        false);

    responses.abandon();

    assertThat(waiting).isCancelled();
    assertThat(streamClosed).isTrue();
    assertThat(state.inFlight()).isZero();
    assertThat((Object) channel.readOutbound()).isNull();
  }

  @Test
  void slotAbandonedBeforeItsAnswerCancelsTheAnswer() {
    ResponseSequencer.Slot slot = responses.reserve();
    responses.abandon();
    CompletableFuture<HttpResult> late = new CompletableFuture<>();

    responses.answer(ctx, slot, late, true, false);

    assertThat(late).isCancelled();
    assertThat(state.inFlight()).isZero();
    assertThat((Object) channel.readOutbound()).isNull();
  }

  /** The bodies of the responses written so far, in order. */
  private List<String> bodies() {
    List<String> out = new ArrayList<>();
    FullHttpResponse r;
    while ((r = channel.readOutbound()) != null) {
      try {
        out.add(r.content().toString(StandardCharsets.UTF_8));
      } finally {
        r.release();
      }
    }
    return out;
  }
}
