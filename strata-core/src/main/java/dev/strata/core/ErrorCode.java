package dev.strata.core;

/**
 * The closed set of failure kinds Strata reports. Each code carries the HTTP status it maps to, so
 * the mapping lives in exactly one place; the gRPC mapping lives next to the gRPC codec.
 */
public enum ErrorCode {
  /** The request is malformed or inconsistent with the model's signature. */
  INVALID_ARGUMENT(400),
  /** An unknown model, version or resource. */
  NOT_FOUND(404),
  /** The resource exists already (e.g. an immutable version). */
  ALREADY_EXISTS(409),
  /** The request is valid but the resource is in the wrong state for it. */
  FAILED_PRECONDITION(409),
  /** The request body is over the configured size limit. */
  PAYLOAD_TOO_LARGE(413),
  /** A queue or quota is full; retry later. */
  RESOURCE_EXHAUSTED(503),
  /** The model or server is not ready to serve. */
  UNAVAILABLE(503),
  /** The request's deadline passed before it completed. */
  DEADLINE_EXCEEDED(504),
  /** The client cancelled the request. */
  CANCELLED(499),
  /** No or invalid credentials. */
  UNAUTHENTICATED(401),
  /** Valid credentials without the right to do this. */
  PERMISSION_DENIED(403),
  /** The operation is not supported by this server. */
  UNIMPLEMENTED(501),
  /** A bug or an unexpected failure inside Strata. */
  INTERNAL(500);

  private final int httpStatus;

  ErrorCode(int httpStatus) {
    this.httpStatus = httpStatus;
  }

  /** The HTTP status this code answers with. */
  public int httpStatus() {
    return httpStatus;
  }

  /** The code a client should assume for an HTTP error status it received. */
  public static ErrorCode fromHttpStatus(int status) {
    return switch (status) {
      case 400 -> INVALID_ARGUMENT;
      case 401 -> UNAUTHENTICATED;
      case 403 -> PERMISSION_DENIED;
      case 404 -> NOT_FOUND;
      case 409 -> FAILED_PRECONDITION;
      case 413 -> PAYLOAD_TOO_LARGE;
      case 429 -> RESOURCE_EXHAUSTED;
      case 499 -> CANCELLED;
      case 501 -> UNIMPLEMENTED;
      case 503 -> UNAVAILABLE;
      case 504 -> DEADLINE_EXCEEDED;
      default -> status >= 400 && status < 500 ? INVALID_ARGUMENT : INTERNAL;
    };
  }
}
