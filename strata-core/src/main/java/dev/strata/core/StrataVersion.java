package dev.strata.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The version of Strata this code was built as. */
public final class StrataVersion {
  private static final String VERSION = load();

  private StrataVersion() {}

  public static String get() {
    return VERSION;
  }

  private static String load() {
    try (InputStream in = StrataVersion.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
