package dev.strata.federated.secagg;

import dev.strata.core.StrataException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/** The JDK's X25519, SHA-256 and AES as secure aggregation uses them. */
final class Crypto {
  static final int SEED_BYTES = 32;
  private static final int IV_BYTES = 12;
  private static final int TAG_BITS = 128;

  private Crypto() {}

  static KeyPair x25519(SecureRandom random) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("X25519");
      g.initialize(255, random);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("X25519 is not available in this JDK", e);
    }
  }

  static PublicKey publicKey(byte[] x509, String what) {
    try {
      return KeyFactory.getInstance("X25519").generatePublic(new X509EncodedKeySpec(x509));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw StrataException.invalid("%s: not an X25519 public key (%s)", what, e.getMessage());
    }
  }

  static PrivateKey privateKey(byte[] pkcs8, String what) {
    try {
      return KeyFactory.getInstance("X25519").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw StrataException.invalid("%s: not an X25519 private key (%s)", what, e.getMessage());
    }
  }

  /** SHA-256 of a label and the X25519 shared secret of the two keys. */
  static byte[] agree(PrivateKey mine, PublicKey theirs, String label) {
    try {
      KeyAgreement ka = KeyAgreement.getInstance("X25519");
      ka.init(mine);
      ka.doPhase(theirs, true);
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(label.getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
      return md.digest(ka.generateSecret());
    } catch (GeneralSecurityException e) {
      throw StrataException.invalid("key agreement failed (%s)", e.getMessage());
    }
  }

  static byte[] seal(byte[] key, byte[] plain, byte[] aad, SecureRandom random) {
    try {
      byte[] iv = new byte[IV_BYTES];
      random.nextBytes(iv);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(
          Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, iv));
      c.updateAAD(aad);
      byte[] body = c.doFinal(plain);
      return ByteBuffer.allocate(IV_BYTES + body.length).put(iv).put(body).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM failed", e);
    }
  }

  static byte[] open(byte[] key, byte[] sealed, byte[] aad, String what) {
    if (sealed.length < IV_BYTES + TAG_BITS / 8) {
      throw StrataException.invalid(
          "%s: %d bytes, too short to be a sealed share", what, sealed.length);
    }
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(
          Cipher.DECRYPT_MODE,
          new SecretKeySpec(key, "AES"),
          new GCMParameterSpec(TAG_BITS, sealed, 0, IV_BYTES));
      c.updateAAD(aad);
      return c.doFinal(sealed, IV_BYTES, sealed.length - IV_BYTES);
    } catch (GeneralSecurityException e) {
      throw StrataException.invalid(
          "%s: does not decrypt (tampered with, or sealed for another round or client)", what);
    }
  }

  /**
   * Expands a 32-byte seed into {@code n} pseudo-random 32-bit words: AES-256 in counter mode from
   * a zero counter, the key stream read as little-endian ints.
   */
  static int[] expand(byte[] seed, int n) {
    try {
      Cipher c = Cipher.getInstance("AES/CTR/NoPadding");
      c.init(
          Cipher.ENCRYPT_MODE, new SecretKeySpec(seed, "AES"), new IvParameterSpec(new byte[16]));
      byte[] stream = c.doFinal(new byte[Math.multiplyExact(n, 4)]);
      int[] out = new int[n];
      ByteBuffer.wrap(stream).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-CTR failed", e);
    }
  }

  static byte[] aad(String round, int from, int to) {
    byte[] r = round.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(r.length + 8).put(r).putInt(from).putInt(to).array();
  }
}
