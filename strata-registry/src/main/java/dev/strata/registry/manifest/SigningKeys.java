package dev.strata.registry.manifest;

import static java.util.Objects.requireNonNull;

import dev.strata.core.AtomicFiles;
import dev.strata.core.StrataException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cloud's Ed25519 manifest-signing key pair in its data directory: {@code manifest-signing.key}
 * (PKCS#8, owner read/write only) and {@code manifest-signing.pub} (X.509). Created on first use,
 * each file written atomically; the private key is never logged.
 */
public final class SigningKeys {
  private static final Logger LOG = LoggerFactory.getLogger(SigningKeys.class);
  static final String PRIVATE_FILE = "manifest-signing.key";
  static final String PUBLIC_FILE = "manifest-signing.pub";
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  private SigningKeys() {}

  /** Loads the key pair from {@code dir}, creating it there when absent. */
  public static KeyPair loadOrCreate(Path dir) {
    requireNonNull(dir, "dir");
    Path priv = dir.resolve(PRIVATE_FILE);
    Path pub = dir.resolve(PUBLIC_FILE);
    try {
      if (Files.exists(priv)) {
        return load(priv, pub);
      }
      KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      Files.createDirectories(dir);
      // Public first: a crash between the two writes leaves no private key, so the next start
      // generates a fresh pair instead of pairing a new private key with a stale public one.
      AtomicFiles.write(pub, pair.getPublic().getEncoded());
      AtomicFiles.write(
          priv,
          out -> {
            restrict(priv.getParent());
            out.write(pair.getPrivate().getEncoded());
          });
      restrict(priv);
      LOG.info(
          "created manifest signing key {} in {}",
          dev.strata.control.PublicKeys.keyId(pair.getPublic()),
          dir);
      return pair;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load or create the signing key in " + dir, e);
    } catch (GeneralSecurityException e) {
      throw StrataException.internal("Ed25519 is not available in this JDK", e);
    }
  }

  private static KeyPair load(Path priv, Path pub) throws IOException, GeneralSecurityException {
    KeyFactory kf = KeyFactory.getInstance("Ed25519");
    PrivateKey privateKey = kf.generatePrivate(new PKCS8EncodedKeySpec(Files.readAllBytes(priv)));
    PublicKey publicKey = kf.generatePublic(new X509EncodedKeySpec(Files.readAllBytes(pub)));
    return new KeyPair(publicKey, privateKey);
  }

  private static void restrict(Path p) {
    // Temp files are created owner-only already; this also fixes a key copied in by hand.
    try {
      if (Files.isRegularFile(p)) {
        Files.setPosixFilePermissions(p, OWNER_ONLY);
      }
    } catch (UnsupportedOperationException | IOException e) {
      LOG.debug("cannot restrict permissions of {}: {}", p, e.toString());
    }
  }
}
