package dev.strata.serving;

import java.util.concurrent.CompletionStage;

/**
 * Handles the requests of one route. It runs on a network thread, so it must not block: work that
 * waits returns a stage completed later. Throwing or failing the stage with a {@link
 * dev.strata.core.StrataException} answers with that code's status and {@code {"error": "..."}}.
 */
@FunctionalInterface
public interface HttpHandler {
  CompletionStage<HttpResult> handle(HttpCall call) throws Exception;
}
