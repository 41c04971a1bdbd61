package dev.strata.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Custom-method suffixes, streaming routes and the authorization wrapper of {@link HttpRoutes}. */
class HttpRoutesExtensionsTest {
  private static final HttpHandler A =
      call -> CompletableFuture.completedFuture(HttpResult.text(200, "a"));
  private static final HttpHandler B =
      call -> CompletableFuture.completedFuture(HttpResult.text(200, "b"));
  private static final StreamingHandler S = call -> HttpResult.text(200, "s");

  @Test
  void aParameterMayCarryALiteralSuffix() {
    HttpRoutes routes =
        HttpRoutes.create()
            .post("/api/deployments/{name}:promote", A)
            .get("/api/deployments/{name}", B);
    assertThat(routes.match("POST", "/api/deployments/det%2D1:promote"))
        .isInstanceOfSatisfying(
            HttpRoutes.Found.class,
            f -> {
              assertThat(f.handler()).isSameAs(A);
              assertThat(f.pathParams()).containsEntry("name", "det-1");
            });
    assertThat(routes.match("GET", "/api/deployments/det")).isInstanceOf(HttpRoutes.Found.class);
    // the suffix alone is no value
    assertThat(routes.match("POST", "/api/deployments/:promote"))
        .isInstanceOf(HttpRoutes.MethodNotAllowed.class);
  }

  @Test
  void streamingRoutesMatchAsSuchAndListTheirMethod() {
    HttpRoutes routes = HttpRoutes.create().postStreaming("/up", S).get("/up", A);
    assertThat(routes.match("POST", "/up"))
        .isInstanceOfSatisfying(
            HttpRoutes.FoundStreaming.class, f -> assertThat(f.handler()).isSameAs(S));
    assertThat(routes.match("PUT", "/up"))
        .isInstanceOfSatisfying(
            HttpRoutes.MethodNotAllowed.class,
            m -> assertThat(m.allowed()).containsExactly("POST", "GET"));
  }

  @Test
  void authorizedRoutesAskFirstAndPublicOnesDoNot() throws Exception {
    RequestAuthorizer refuseAll =
        request ->
            CompletableFuture.failedFuture(
                new StrataException(ErrorCode.UNAUTHENTICATED, "who are you"));
    HttpRoutes routes =
        HttpRoutes.create()
            .get("/open", A)
            .get("/closed", B)
            .authorized(refuseAll, Set.of("/open"));
    HttpCall call =
        new HttpCall(
            "GET", "/x", Map.of(), Map.of(), h -> Optional.empty(), ByteBuffer.allocate(0));
    var open = (HttpRoutes.Found) routes.match("GET", "/open");
    assertThat(open.handler().handle(call).toCompletableFuture().get().status()).isEqualTo(200);
    var closed = (HttpRoutes.Found) routes.match("GET", "/closed");
    assertThat(closed.handler().handle(call).toCompletableFuture())
        .failsWithin(java.time.Duration.ofSeconds(1))
        .withThrowableThat()
        .havingRootCause()
        .withMessage("who are you");
  }

  @Test
  void cancellingAnAuthorizedRouteCancelsItsHandlersStage() throws Exception {
    CompletableFuture<HttpResult> handlers = new CompletableFuture<>();
    CompletableFuture<Void> decision = new CompletableFuture<>();
    HttpRoutes routes =
        HttpRoutes.create()
            .get("/slow", call -> handlers)
            .authorized(request -> decision, Set.of());
    HttpCall call =
        new HttpCall(
            "GET", "/slow", Map.of(), Map.of(), h -> Optional.empty(), ByteBuffer.allocate(0));
    var found = (HttpRoutes.Found) routes.match("GET", "/slow");

    CompletableFuture<HttpResult> answered = found.handler().handle(call).toCompletableFuture();
    decision.complete(null);
    answered.cancel(false);
    assertThat(handlers).isCancelled(); // the work behind it hears that nobody waits

    CompletableFuture<Void> late = new CompletableFuture<>();
    java.util.concurrent.atomic.AtomicBoolean ran = new java.util.concurrent.atomic.AtomicBoolean();
    var undecided =
        (HttpRoutes.Found)
            HttpRoutes.create()
                .get(
                    "/x",
                    c -> {
                      ran.set(true);
                      return handlers;
                    })
                .authorized(request -> late, Set.of())
                .match("GET", "/x");
    undecided.handler().handle(call).toCompletableFuture().cancel(false);
    late.complete(null);
    assertThat(ran).isFalse(); // cancelled before the decision: the handler never runs
  }

  @Test
  void bearerTokensAreReadCaseInsensitively() {
    assertThat(AuthRequest.bearerToken(Optional.of("bearer abc "))).hasValue("abc");
    assertThat(AuthRequest.bearerToken(Optional.of("Basic abc"))).isEmpty();
    assertThat(AuthRequest.bearerToken(Optional.of("Bearer "))).isEmpty();
    assertThat(AuthRequest.bearerToken(Optional.empty())).isEmpty();
  }

  @Test
  void unauthenticatedAnswersCarryTheBearerChallenge() {
    HttpResult r = HttpErrors.of(ErrorCode.UNAUTHENTICATED, "missing credentials");
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.headers()).containsEntry("WWW-Authenticate", "Bearer realm=\"strata\"");
    assertThat(HttpErrors.of(ErrorCode.PERMISSION_DENIED, "no").headers()).isEmpty();
  }

  @Test
  void aStreamedResultHasNoBufferedBody() {
    HttpResult r =
        HttpResult.stream(
            200, HttpResult.OCTET_STREAM, Map.of(), 3, java.io.InputStream.nullInputStream());
    assertThat(r.length()).isEqualTo(3);
    assertThat(r.contentLength()).isZero();
    assertThat(r.body()).isEqualTo(List.of());
  }
}
