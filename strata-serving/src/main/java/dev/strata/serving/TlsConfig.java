package dev.strata.serving;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * TLS for both listeners (HTTPS and gRPC over TLS), from PEM files.
 *
 * @param certificateChain the server certificate followed by its intermediates, PEM
 * @param privateKey the certificate's private key, unencrypted PKCS#8 PEM ({@code -----BEGIN
 *     PRIVATE KEY-----}); convert a PKCS#1 key with {@code openssl pkcs8 -topk8 -nocrypt}
 */
public record TlsConfig(Path certificateChain, Path privateKey) {
  public TlsConfig {
    requireNonNull(certificateChain, "certificateChain");
    requireNonNull(privateKey, "privateKey");
  }

  @Override
  public String toString() {
    return "TlsConfig[certificateChain=" + certificateChain + ", privateKey=" + privateKey + "]";
  }
}
