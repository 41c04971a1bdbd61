package dev.strata.control;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;

/** A manifest or an artifact failed verification: it must not be used. */
public final class ManifestVerificationException extends StrataException {
  private static final long serialVersionUID = 1L;

  public ManifestVerificationException(String message) {
    super(ErrorCode.FAILED_PRECONDITION, message);
  }

  public ManifestVerificationException(String message, Throwable cause) {
    super(ErrorCode.FAILED_PRECONDITION, message, cause);
  }
}
