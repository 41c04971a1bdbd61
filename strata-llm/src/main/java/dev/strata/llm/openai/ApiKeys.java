package dev.strata.llm.openai;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.serving.AuthRequest;
import dev.strata.serving.RequestAuthorizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * API keys as OpenAI's clients send them ({@code Authorization: Bearer <key>}): a call without a
 * key, or with one that is not listed, gets 401 ({@code invalid_api_key}). Keys are held as SHA-256
 * digests and compared in constant time; they come from a file or the environment, never from the
 * command line (where every user of the machine could read them).
 */
public final class ApiKeys implements RequestAuthorizer {
  /** The environment variable that may hold one key. */
  public static final String ENV = "STRATA_API_KEY";

  private final List<byte[]> digests;

  private ApiKeys(List<byte[]> digests) {
    this.digests = List.copyOf(digests);
  }

  /** The given keys. */
  public static ApiKeys of(List<String> keys) {
    List<byte[]> d = new ArrayList<>();
    for (String k : keys) {
      if (k.isBlank()) {
        throw StrataException.invalid("an API key is empty");
      }
      d.add(sha256(k.strip()));
    }
    if (d.isEmpty()) {
      throw StrataException.invalid("no API keys");
    }
    return new ApiKeys(d);
  }

  /** The keys of {@code file}: one per line; blank lines and lines starting with # are skipped. */
  public static ApiKeys read(Path file) throws IOException {
    List<String> keys = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      String k = line.strip();
      if (!k.isEmpty() && !k.startsWith("#")) {
        keys.add(k);
      }
    }
    if (keys.isEmpty()) {
      throw StrataException.invalid("%s: no API keys in it", file);
    }
    return of(keys);
  }

  @Override
  public CompletionStage<Void> authorize(AuthRequest request) {
    var token = request.bearerToken();
    if (token.isEmpty()) {
      return CompletableFuture.failedFuture(
          new StrataException(
              ErrorCode.UNAUTHENTICATED,
              "missing API key: send it as 'Authorization: Bearer <key>'"));
    }
    byte[] d = sha256(token.get());
    boolean ok = false;
    for (byte[] k : digests) {
      ok |= MessageDigest.isEqual(k, d);
    }
    return ok
        ? CompletableFuture.completedFuture(null)
        : CompletableFuture.failedFuture(
            new StrataException(ErrorCode.UNAUTHENTICATED, "invalid API key"));
  }

  private static byte[] sha256(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
