package dev.strata.api;

import dev.strata.core.StrataException;
import java.util.Locale;

/**
 * The lifecycle stage of a model version. New versions start in {@link #STAGING}. An archived
 * version cannot be deployed and takes no new variants; it can be restored to staging.
 */
public enum Stage {
  STAGING,
  PRODUCTION,
  ARCHIVED;

  /** Whether a version may move from this stage to {@code next}. */
  public boolean canMoveTo(Stage next) {
    return switch (this) {
      case STAGING -> next == PRODUCTION || next == ARCHIVED;
      case PRODUCTION -> next == STAGING || next == ARCHIVED;
      case ARCHIVED -> next == STAGING;
    };
  }

  /** The lowercase name used on the wire. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Stage parse(String s) {
    for (Stage st : values()) {
      if (st.name().equalsIgnoreCase(s)) {
        return st;
      }
    }
    throw StrataException.invalid("stage: %s (expected: staging, production or archived)", s);
  }
}
