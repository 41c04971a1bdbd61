package dev.strata.control;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/** The text form of the cloud's Ed25519 manifest-signing public key, as edges are given it. */
public final class PublicKeys {
  private PublicKeys() {}

  /** The public key as base64 of its X.509 encoding: what edges are configured with. */
  public static String encode(PublicKey key) {
    return Base64.getEncoder().encodeToString(key.getEncoded());
  }

  /** Parses a public key written by {@link #encode}. */
  public static PublicKey decode(String base64) {
    requireNonNull(base64, "base64");
    try {
      return KeyFactory.getInstance("Ed25519")
          .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64.trim())));
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      throw StrataException.invalid(
          "public key: not a base64 X.509 Ed25519 key (%s)", e.getMessage());
    }
  }

  /** A short id of a public key: the first 16 hex characters of the SHA-256 of its encoding. */
  public static String keyId(PublicKey key) {
    return Sha256.hex(key.getEncoded()).substring(0, 16);
  }
}
