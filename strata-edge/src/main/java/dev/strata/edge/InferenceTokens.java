package dev.strata.edge;

import static java.util.Objects.requireNonNull;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.serving.AuthRequest;
import dev.strata.serving.RequestAuthorizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may use the edge's inference API with {@code --inference-auth}: a client presenting {@code
 * Authorization: Bearer <token>} with a token listed in {@code <dataDir>/inference-tokens} (one a
 * line, {@code #} comments). The edge decides alone, so it works with the cloud down; the node's
 * owner hands the tokens to the local applications. On the first start with authentication on, the
 * file is created (0600) with one generated token; the log says where, never the token. Edits to
 * the file apply within a second, without a restart. Health probes stay open.
 *
 * <p>The file's first line states its format version ({@value #HEADER}{@code N}); a file without it
 * is format 1. A newer format is refused at start; edited in later, the tokens read before stay.
 */
final class InferenceTokens implements RequestAuthorizer {
  /** The format this agent writes and the newest it reads. */
  static final int FORMAT = 1;

  static final String HEADER = "# strata-edge inference tokens, format ";
  private static final Pattern HEADER_LINE =
      Pattern.compile(Pattern.quote(HEADER.strip()) + "\\s*(\\d{1,9})\\s*");
  private static final Logger LOG = LoggerFactory.getLogger(InferenceTokens.class);
  private static final long RECHECK_NANOS = 1_000_000_000L;

  private final Path file;
  private volatile List<byte[]> hashes;
  private volatile FileTime modified;
  private volatile long checkedAt;

  private InferenceTokens(Path file) {
    this.file = file;
    reload();
  }

  /** The tokens of {@code file}, created with one generated token when it does not exist. */
  static InferenceTokens open(Path file) {
    requireNonNull(file, "file");
    if (!Files.exists(file)) {
      create(file);
      LOG.info("inference authentication: generated a token in {} (give it to clients)", file);
    }
    InferenceTokens t = new InferenceTokens(file);
    if (t.hashes.isEmpty()) {
      LOG.warn(
          "inference authentication: {} lists no token; every inference call is refused", file);
    }
    return t;
  }

  private static void create(Path file) {
    byte[] secret = new byte[24];
    new SecureRandom().nextBytes(secret);
    String token = "sti_" + HexFormat.of().formatHex(secret);
    String text =
        HEADER
            + FORMAT
            + "\n# Bearer tokens the edge's inference API accepts (--inference-auth), one a line.\n"
            + token
            + "\n";
    try {
      if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
        Files.createFile(
            file,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } else {
        Files.createFile(file);
      }
      Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + file, e);
    }
  }

  private void reload() {
    try {
      FileTime m = Files.getLastModifiedTime(file);
      List<byte[]> read = new ArrayList<>();
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      Matcher header = HEADER_LINE.matcher(lines.isEmpty() ? "" : lines.getFirst().strip());
      FileFormat.check(file, header.matches() ? Integer.parseInt(header.group(1)) : 1, FORMAT);
      for (String line : lines) {
        String t = line.strip();
        if (!t.isEmpty() && !t.startsWith("#")) {
          read.add(sha256(t));
        }
      }
      hashes = List.copyOf(read);
      modified = m;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read inference tokens from " + file, e);
    }
  }

  /** Re-reads the file when it changed, at most once a second; a failed read keeps what was. */
  private void refresh() {
    long now = System.nanoTime();
    if (now - checkedAt < RECHECK_NANOS) {
      return;
    }
    checkedAt = now;
    try {
      if (!Files.getLastModifiedTime(file).equals(modified)) {
        reload();
      }
    } catch (IOException | UncheckedIOException | StrataException e) {
      LOG.warn("cannot re-read {}; the tokens read before stay valid: {}", file, e.toString());
    }
  }

  @Override
  public CompletionStage<Void> authorize(AuthRequest request) {
    if (request.bearerToken().isEmpty()) {
      return CompletableFuture.failedFuture(
          new StrataException(
              ErrorCode.UNAUTHENTICATED,
              request.header("Authorization").isEmpty()
                  ? "missing credentials (expected: Authorization: Bearer <token>, a token from the"
                      + " edge's inference-tokens file)"
                  : "unsupported Authorization scheme (expected: Bearer <token>)"));
    }
    refresh();
    byte[] presented = sha256(request.bearerToken().get());
    boolean known = false;
    for (byte[] h : hashes) {
      known |= MessageDigest.isEqual(h, presented);
    }
    return known
        ? CompletableFuture.completedFuture(null)
        : CompletableFuture.failedFuture(
            new StrataException(ErrorCode.UNAUTHENTICATED, "invalid credentials"));
  }

  private static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }
}
