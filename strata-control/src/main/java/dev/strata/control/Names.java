package dev.strata.control;

import dev.strata.core.StrataException;
import java.util.Map;
import java.util.regex.Pattern;

/** The syntax of names the registry accepts: safe in URL paths, file names and label selectors. */
public final class Names {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]{0,62}");
  private static final int MAX_VALUE = 256;

  private Names() {}

  /** Checks a model, variant, deployment or node name. */
  public static String requireName(String value, String what) {
    if (value == null || !NAME.matcher(value).matches()) {
      throw StrataException.invalid(
          "%s: %s (expected: 1-128 of letters, digits, '.', '_', '-', starting with a letter or"
              + " digit)",
          what, value);
    }
    return value;
  }

  /** Checks a tag or label map and returns an immutable copy. */
  public static Map<String, String> requireTags(Map<String, String> tags, String what) {
    if (tags == null) {
      throw StrataException.invalid("%s: null (expected: a map, possibly empty)", what);
    }
    for (var e : tags.entrySet()) {
      if (e.getKey() == null || !KEY.matcher(e.getKey()).matches()) {
        throw StrataException.invalid(
            "%s key: %s (expected: 1-63 of letters, digits, '.', '_', '/', '-')", what, e.getKey());
      }
      if (e.getValue() == null || e.getValue().length() > MAX_VALUE) {
        throw StrataException.invalid(
            "%s value of %s: %s (expected: a string of at most %d characters)",
            what, e.getKey(), e.getValue(), MAX_VALUE);
      }
    }
    return Map.copyOf(tags);
  }
}
