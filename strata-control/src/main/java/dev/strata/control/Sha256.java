package dev.strata.control;

import dev.strata.core.StrataException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** SHA-256 digests as 64 lowercase hex characters, the registry's artifact identity. */
public final class Sha256 {
  private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");

  private Sha256() {}

  public static boolean isValid(String digest) {
    return digest != null && HEX.matcher(digest).matches();
  }

  /** Returns {@code digest} or throws INVALID_ARGUMENT naming {@code what}. */
  public static String requireValid(String digest, String what) {
    if (!isValid(digest)) {
      throw StrataException.invalid("%s: %s (expected: 64 lowercase hex characters)", what, digest);
    }
    return digest;
  }

  public static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  public static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(newDigest().digest(bytes));
  }

  public static String hex(MessageDigest digest) {
    return HexFormat.of().formatHex(digest.digest());
  }
}
