package dev.strata.serving;

/**
 * Handles the requests of a streaming route (see {@link HttpRoutes#postStreaming}). It runs on the
 * server's streaming executor, never on a network thread, so it may block: it reads {@link
 * StreamingCall#body()} as the body arrives and returns the response. Returning before the body is
 * read to the end (e.g. to refuse it) answers at once; the rest of the body is then read and
 * dropped so that the client sees the answer. Throwing a {@link dev.strata.core.StrataException}
 * answers with its code's status.
 */
@FunctionalInterface
public interface StreamingHandler {
  HttpResult handle(StreamingCall call) throws Exception;
}
