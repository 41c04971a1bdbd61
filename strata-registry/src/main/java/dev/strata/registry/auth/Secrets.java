package dev.strata.registry.auth;

import static java.util.Objects.requireNonNull;

import dev.strata.control.Sha256;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Random bearer tokens and their storage form. A token is {@code <prefix>_<id>.<secret>}: the id
 * finds the row, the 256-bit secret proves possession. Only the SHA-256 of the secret is stored: a
 * fast hash is right for high-entropy random secrets (nothing to brute-force), and comparison is in
 * constant time. Prefixes ({@code stk} API key, {@code stn} node, {@code ste} enrollment, {@code
 * sta} admin) let secret scanners recognise leaked tokens.
 */
public final class Secrets {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private final SecureRandom random;

  public Secrets(SecureRandom random) {
    this.random = requireNonNull(random, "random");
  }

  public static Secrets create() {
    return new Secrets(new SecureRandom());
  }

  /** A token split into its id and secret. */
  public record Token(String id, String secret) {}

  /** A fresh random id of 12 hex characters, for rows. */
  public String newId() {
    byte[] b = new byte[6];
    random.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** A fresh 256-bit secret, base64url. */
  public String newSecret() {
    byte[] b = new byte[32];
    random.nextBytes(b);
    return B64.encodeToString(b);
  }

  public static String format(String prefix, String id, String secret) {
    return prefix + "_" + id + "." + secret;
  }

  /** Splits a token of the given prefix; empty when it has another shape. */
  public static Optional<Token> parse(String token, String prefix) {
    if (token == null || !token.startsWith(prefix + "_")) {
      return Optional.empty();
    }
    String rest = token.substring(prefix.length() + 1);
    int dot = rest.indexOf('.');
    if (dot <= 0 || dot == rest.length() - 1 || rest.length() > 512) {
      return Optional.empty();
    }
    return Optional.of(new Token(rest.substring(0, dot), rest.substring(dot + 1)));
  }

  /** The stored form of a secret: SHA-256, lowercase hex. */
  public static String hash(String secret) {
    return Sha256.hex(secret.getBytes(StandardCharsets.UTF_8));
  }

  /** Whether {@code secret} hashes to {@code storedHash}, compared in constant time. */
  public static boolean matches(String secret, String storedHash) {
    byte[] actual = Sha256.newDigest().digest(secret.getBytes(StandardCharsets.UTF_8));
    byte[] expected;
    try {
      expected = HexFormat.of().parseHex(storedHash);
    } catch (IllegalArgumentException e) {
      return false;
    }
    return MessageDigest.isEqual(actual, expected);
  }
}
