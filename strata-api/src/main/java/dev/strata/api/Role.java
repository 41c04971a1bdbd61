package dev.strata.api;

import dev.strata.core.StrataException;
import java.util.Locale;

/**
 * What a management credential may do, each role including the ones before it: {@link #VIEWER}
 * reads; {@link #DEPLOYER} also registers models and changes deployments; {@link #ADMIN} also
 * manages credentials, enrollment tokens and nodes.
 */
public enum Role {
  VIEWER,
  DEPLOYER,
  ADMIN;

  public boolean allows(Role needed) {
    return compareTo(needed) >= 0;
  }

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Role parse(String s) {
    for (Role r : values()) {
      if (r.name().equalsIgnoreCase(s)) {
        return r;
      }
    }
    throw StrataException.invalid("role: %s (expected: viewer, deployer or admin)", s);
  }
}
