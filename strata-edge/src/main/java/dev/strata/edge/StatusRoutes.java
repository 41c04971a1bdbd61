package dev.strata.edge;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.control.Json;
import dev.strata.serving.HttpResult;
import dev.strata.serving.HttpRoutes;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** {@code GET /edge/v1/status}: the agent's own view, as JSON, for operators and tests. */
final class StatusRoutes {
  private StatusRoutes() {}

  static HttpRoutes create(Supplier<ObjectNode> status) {
    return HttpRoutes.create()
        .get(
            "/edge/v1/status",
            call ->
                CompletableFuture.completedFuture(
                    HttpResult.json(200, Json.writeBytes(status.get()))));
  }
}
