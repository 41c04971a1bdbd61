package dev.strata.llm.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.control.Json;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.serving.HttpResult;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;

/**
 * Failures in OpenAI's error shape, {@code {"error": {"message", "type", "param", "code"}}}, with
 * the status OpenAI gives: 400 for a bad request, 401/403 without a valid key, 404 for an unknown
 * model, 429 when the model's queue is full, 503 when it is unavailable, 500 only for Strata's own
 * faults.
 */
final class OpenAiError {
  private OpenAiError() {}

  static HttpResult of(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException
            || c instanceof java.util.concurrent.ExecutionException)
        && c.getCause() != null) {
      c = c.getCause();
    }
    if (c instanceof StrataException e) {
      return of(e.code(), e.getMessage());
    }
    if (c instanceof CancellationException) {
      return of(ErrorCode.CANCELLED, "cancelled");
    }
    return result(500, "server_error", "internal error: " + c);
  }

  static HttpResult of(ErrorCode code, String message) {
    return switch (code) {
      case INVALID_ARGUMENT, PAYLOAD_TOO_LARGE, FAILED_PRECONDITION ->
          result(code == ErrorCode.PAYLOAD_TOO_LARGE ? 413 : 400, "invalid_request_error", message);
      case NOT_FOUND -> result(404, "invalid_request_error", message, "model_not_found");
      case UNAUTHENTICATED -> result(401, "invalid_request_error", message, "invalid_api_key");
      case PERMISSION_DENIED -> result(403, "invalid_request_error", message);
      case RESOURCE_EXHAUSTED -> result(429, "rate_limit_error", message, "rate_limit_exceeded");
      case UNAVAILABLE, CANCELLED, DEADLINE_EXCEEDED -> result(503, "server_error", message);
      case UNIMPLEMENTED -> result(400, "invalid_request_error", message, "unsupported");
      default -> result(500, "server_error", message);
    };
  }

  private static HttpResult result(int status, String type, String message) {
    return result(status, type, message, null);
  }

  private static HttpResult result(int status, String type, String message, String code) {
    return HttpResult.json(
        status, body(type, message, code).getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** The error object as JSON text (also the payload of an error event in a stream). */
  static String body(String type, String message, String code) {
    ObjectNode root = Json.mapper().createObjectNode();
    ObjectNode e = root.putObject("error");
    e.put("message", message);
    e.put("type", type);
    e.putNull("param");
    if (code == null) {
      e.putNull("code");
    } else {
      e.put("code", code);
    }
    return root.toString();
  }
}
