package dev.strata.cli.demo;

import dev.strata.core.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The demo cloud's admin token, kept in a file of the data directory (mode 0600) so that a second
 * run, and the user's own calls to the API, use the same one. The cloud itself never stores it: it
 * is passed to the cloud as its configured token.
 */
final class AdminTokenFile {
  /** The token and whether this call created it. */
  record Token(String value, boolean created) {
    @Override
    public String toString() {
      return "Token[***, created=" + created + "]";
    }
  }

  private static final int MIN_LENGTH = 16;

  private AdminTokenFile() {}

  /** Reads the token in {@code file}, or makes one and writes it there (atomically, 0600). */
  static Token loadOrCreate(Path file, SecureRandom random) throws IOException {
    if (Files.exists(file)) {
      String token = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (token.length() < MIN_LENGTH) {
        throw new IllegalArgumentException(
            "admin token file "
                + file
                + ": "
                + token.length()
                + " characters (expected: >= "
                + MIN_LENGTH
                + "; delete it to have a new one made)");
      }
      return new Token(token, false);
    }
    byte[] secret = new byte[32];
    random.nextBytes(secret);
    String token = "sta_demo." + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    AtomicFiles.write(file, (token + "\n").getBytes(StandardCharsets.UTF_8));
    // temporary files are created 0600 already; this states the intent and survives any umask
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    return new Token(token, true);
  }
}
