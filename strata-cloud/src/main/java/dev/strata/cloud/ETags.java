package dev.strata.cloud;

import java.util.Optional;

/** {@code If-None-Match} against an entity tag (RFC 9110 13.1.2, weak comparison). */
final class ETags {
  private ETags() {}

  static boolean matches(Optional<String> ifNoneMatch, String etag) {
    if (ifNoneMatch.isEmpty()) {
      return false;
    }
    for (String candidate : ifNoneMatch.get().split(",")) {
      String c = candidate.trim();
      if (c.equals("*")) {
        return true;
      }
      if (c.startsWith("W/")) {
        c = c.substring(2);
      }
      if (c.length() >= 2 && c.startsWith("\"") && c.endsWith("\"")) {
        c = c.substring(1, c.length() - 1);
      }
      if (c.equals(etag)) {
        return true;
      }
    }
    return false;
  }
}
