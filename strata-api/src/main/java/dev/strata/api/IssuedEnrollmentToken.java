package dev.strata.api;

import static java.util.Objects.requireNonNull;

/** A just-created enrollment token with its secret form ({@code ste_<id>.<secret>}), shown once. */
public record IssuedEnrollmentToken(EnrollmentToken info, String token) {
  public IssuedEnrollmentToken {
    requireNonNull(info, "info");
    requireNonNull(token, "token");
  }

  @Override
  public String toString() {
    return "IssuedEnrollmentToken[info=" + info + ", token=***]";
  }
}
