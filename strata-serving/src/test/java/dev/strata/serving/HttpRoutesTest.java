package dev.strata.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class HttpRoutesTest {
  private static final HttpHandler A =
      call -> CompletableFuture.completedFuture(HttpResult.text(200, "a"));
  private static final HttpHandler B =
      call -> CompletableFuture.completedFuture(HttpResult.text(200, "b"));

  private final HttpRoutes routes =
      HttpRoutes.create()
          .get("/v2/models/stats", A)
          .get("/v2/models/{model}", B)
          .post("/v2/models/{model}/versions/{version}/infer", A);

  @Test
  void literalRoutesWinWhenAddedFirst() {
    assertThat(routes.match("GET", "/v2/models/stats"))
        .isInstanceOfSatisfying(HttpRoutes.Found.class, f -> assertThat(f.handler()).isSameAs(A));
    assertThat(routes.match("GET", "/v2/models/mlp"))
        .isInstanceOfSatisfying(
            HttpRoutes.Found.class,
            f -> {
              assertThat(f.handler()).isSameAs(B);
              assertThat(f.pathParams()).containsEntry("model", "mlp");
            });
  }

  @Test
  void parametersAreUrlDecodedAndTrailingSlashIgnored() {
    assertThat(routes.match("POST", "/v2/models/my%20model/versions/3/infer/"))
        .isInstanceOfSatisfying(
            HttpRoutes.Found.class,
            f ->
                assertThat(f.pathParams())
                    .containsEntry("model", "my model")
                    .containsEntry("version", "3"));
  }

  @Test
  void wrongMethodListsTheAllowedOnes() {
    assertThat(routes.match("DELETE", "/v2/models/mlp"))
        .isInstanceOfSatisfying(
            HttpRoutes.MethodNotAllowed.class, m -> assertThat(m.allowed()).containsExactly("GET"));
    assertThat(routes.match("HEAD", "/v2/models/mlp")).isInstanceOf(HttpRoutes.Found.class);
  }

  @Test
  void unknownPathsAndEmptySegmentsAreNotFound() {
    assertThat(routes.match("GET", "/v2/nothing")).isInstanceOf(HttpRoutes.NotFound.class);
    assertThat(routes.match("GET", "/v2/models//")).isInstanceOf(HttpRoutes.NotFound.class);
  }

  @Test
  void patternsMustBeAbsolute() {
    assertThatThrownBy(() -> HttpRoutes.create().get("v2/x", A))
        .hasMessageContaining("starting with /");
  }

  @Test
  void configRejectsBadValuesWithTheirNames() {
    assertThatThrownBy(() -> ServingConfig.defaults().withPorts(70000, 1))
        .hasMessageContaining("httpPort: 70000");
    assertThatThrownBy(() -> ServingConfig.defaults().withMaxRequestBytes(0))
        .hasMessageContaining("maxRequestBytes: 0");
    assertThat(ServingConfig.defaults().host()).isEqualTo("127.0.0.1");
  }
}
