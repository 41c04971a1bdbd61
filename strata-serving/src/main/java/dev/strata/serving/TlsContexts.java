package dev.strata.serving;

import dev.strata.core.StrataException;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLException;

/** Builds the TLS contexts of both listeners from PEM files, with errors that name the file. */
final class TlsContexts {
  private TlsContexts() {}

  static SslContext forHttp(TlsConfig tls) {
    try {
      return builder(tls).build();
    } catch (SSLException | IllegalArgumentException e) {
      throw invalid(tls, e);
    }
  }

  static SslContext forGrpc(TlsConfig tls) {
    try {
      // Adds HTTP/2 ciphers and ALPN ("h2") as gRPC needs them.
      return GrpcSslContexts.configure(builder(tls)).build();
    } catch (SSLException | IllegalArgumentException e) {
      throw invalid(tls, e);
    }
  }

  private static SslContextBuilder builder(TlsConfig tls) {
    requireReadable(tls.certificateChain(), "TLS certificate chain");
    requireReadable(tls.privateKey(), "TLS private key");
    return SslContextBuilder.forServer(tls.certificateChain().toFile(), tls.privateKey().toFile());
  }

  private static void requireReadable(Path file, String what) {
    if (!Files.isReadable(file)) {
      throw StrataException.invalid("%s: %s is not a readable file", what, file);
    }
  }

  private static StrataException invalid(TlsConfig tls, Exception e) {
    return StrataException.invalid(
        "TLS: cannot use certificate %s with key %s (expected: PEM certificate chain and"
            + " unencrypted PKCS#8 PEM private key): %s",
        tls.certificateChain(), tls.privateKey(), e.getMessage());
  }
}
