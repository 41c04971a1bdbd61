package dev.strata.edge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.control.DesiredState;
import dev.strata.control.EnrollRequest;
import dev.strata.control.Enrollment;
import dev.strata.control.Heartbeat;
import dev.strata.control.HeartbeatResponse;
import dev.strata.control.Json;
import dev.strata.control.SampleUpload;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The node endpoints of the cloud's API ({@code /api/v1/nodes/...}, {@code /api/v1/artifacts}) over
 * the JDK's HTTP client. Every failure is a {@link StrataException}: UNAVAILABLE when the cloud
 * cannot be reached or times out, else the code of the cloud's error answer. Credentials are sent
 * as bearer tokens and never logged.
 */
final class CloudApi implements AutoCloseable {
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

  private final URI base;
  private final Duration requestTimeout;
  private final HttpClient http;
  private final ScheduledExecutorService watchdog =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().name("strata-edge-download-watchdog").daemon(true).unstarted(r));

  CloudApi(URI base, Duration connectTimeout, Duration requestTimeout) {
    String b = base.toString();
    this.base = URI.create(b.endsWith("/") ? b.substring(0, b.length() - 1) : b);
    this.requestTimeout = requestTimeout;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(connectTimeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  URI base() {
    return base;
  }

  Enrollment enroll(EnrollRequest request) {
    HttpRequest r =
        json("/api/v1/nodes/enroll", Optional.empty())
            .POST(HttpRequest.BodyPublishers.ofByteArray(Json.writeBytes(request)))
            .build();
    return read(send(r), Enrollment.class);
  }

  /** The cloud's manifest-signing public key (base64 X.509), from its public endpoint. */
  String signingKey() {
    HttpResponse<byte[]> response =
        send(json("/api/v1/signing-key", Optional.empty()).GET().build());
    JsonNode key = read(response, JsonNode.class).get("publicKey");
    if (key == null || !key.isTextual()) {
      throw new StrataException(ErrorCode.INTERNAL, "cloud: signing key answer without publicKey");
    }
    return key.asText();
  }

  HeartbeatResponse heartbeat(String credential, Heartbeat heartbeat) {
    HttpRequest r =
        json("/api/v1/nodes/self/heartbeat", Optional.of(credential))
            .POST(HttpRequest.BodyPublishers.ofByteArray(Json.writeBytes(heartbeat)))
            .build();
    return read(send(r), HeartbeatResponse.class);
  }

  /** The node's desired state; empty when it still has the ETag given (304). */
  Optional<DesiredState> desiredState(String credential, Optional<String> ifNoneMatch) {
    HttpRequest.Builder b = json("/api/v1/nodes/self/desired-state", Optional.of(credential)).GET();
    ifNoneMatch.ifPresent(etag -> b.header("If-None-Match", "\"" + etag + "\""));
    HttpResponse<byte[]> response = send(b.build());
    if (response.statusCode() == 304) {
      return Optional.empty();
    }
    return Optional.of(read(response, DesiredState.class));
  }

  /**
   * Downloads an artifact into {@code partial}, continuing from the bytes it already holds with a
   * {@code Range} request. The bytes received are kept when the transfer breaks off, so the next
   * call resumes. A server that ignores the range (200) rewrites the file from the start.
   *
   * @throws IOException when the transfer breaks off or the file cannot be written
   */
  void download(String credential, String sha256, Path partial, long size) throws IOException {
    long have = Files.exists(partial) ? Files.size(partial) : 0;
    if (have > size) {
      Files.delete(partial);
      have = 0;
    }
    if (have == size && size > 0) {
      return;
    }
    HttpRequest.Builder b =
        request("/api/v1/artifacts/" + sha256, Optional.of(credential))
            .header("Accept", "application/octet-stream")
            .GET();
    if (have > 0) {
      b.header("Range", "bytes=" + have + "-");
    }
    HttpResponse<InputStream> response;
    try {
      response = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw unreachable(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StrataException(ErrorCode.CANCELLED, "interrupted while downloading " + sha256);
    }
    try (InputStream in = response.body()) {
      int status = response.statusCode();
      long offset;
      if (status == 206) {
        offset = rangeStart(response, sha256);
        if (offset != have) {
          throw new IOException(
              "artifact "
                  + sha256
                  + ": the server sent bytes from "
                  + offset
                  + " (asked: "
                  + have
                  + ")");
        }
      } else if (status == 200) {
        offset = 0;
      } else if (status == 416) {
        Files.deleteIfExists(partial);
        throw new IOException(
            "artifact " + sha256 + ": the partial file is past its end; restarting");
      } else {
        throw error(status, in.readAllBytes());
      }
      copy(in, partial, offset, size, sha256);
    }
  }

  /**
   * Copies the body into the partial file. A body that stops flowing for longer than the request
   * timeout (a silent network partition) is abandoned: the stream is closed and the copying thread
   * interrupted, and what arrived is kept for the next attempt.
   */
  private void copy(InputStream in, Path partial, long offset, long size, String sha256)
      throws IOException {
    Thread reader = Thread.currentThread();
    AtomicLong lastProgress = new AtomicLong(System.nanoTime());
    Object lock = new Object();
    boolean[] state = new boolean[2]; // [done, stalled], guarded by lock
    long stallNanos = requestTimeout.toNanos();
    long period = Math.max(1, stallNanos / 4);
    ScheduledFuture<?> dog =
        watchdog.scheduleAtFixedRate(
            () -> {
              if (System.nanoTime() - lastProgress.get() <= stallNanos) {
                return;
              }
              synchronized (lock) {
                if (state[0] || state[1]) {
                  return;
                }
                state[1] = true;
                try {
                  in.close();
                } catch (IOException ignored) {
                  // the interrupt below ends the read either way
                }
                reader.interrupt();
              }
            },
            period,
            period,
            TimeUnit.NANOSECONDS);
    try {
      write(in, partial, offset, size, sha256, lastProgress);
    } catch (IOException e) {
      if (stalled(lock, state)) {
        throw new IOException(
            "artifact " + sha256 + ": no data for " + requestTimeout + "; will resume", e);
      }
      throw e;
    } finally {
      dog.cancel(false);
      synchronized (lock) {
        state[0] = true;
      }
      if (stalled(lock, state)) {
        Thread.interrupted(); // the watchdog's interrupt is handled here
      }
    }
  }

  private static boolean stalled(Object lock, boolean[] state) {
    synchronized (lock) {
      return state[1];
    }
  }

  private static long rangeStart(HttpResponse<?> response, String sha256) throws IOException {
    String range = response.headers().firstValue("Content-Range").orElse("");
    Matcher m = CONTENT_RANGE.matcher(range);
    if (!m.matches()) {
      throw new IOException(
          "artifact "
              + sha256
              + ": 206 with Content-Range '"
              + range
              + "' (expected: bytes N-M/T)");
    }
    return Long.parseLong(m.group(1));
  }

  private static void write(
      InputStream in, Path partial, long offset, long size, String sha256, AtomicLong progress)
      throws IOException {
    try (FileChannel ch =
        FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      ch.truncate(offset);
      ch.position(offset);
      byte[] buf = new byte[64 * 1024];
      long written = offset;
      try {
        int n;
        while ((n = in.read(buf)) != -1) {
          if (written + n > size) {
            throw new IOException(
                "artifact " + sha256 + ": the server sent more than its " + size + " bytes");
          }
          ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
          while (bb.hasRemaining()) {
            ch.write(bb);
          }
          written += n;
          progress.set(System.nanoTime());
        }
      } finally {
        // what arrived stays, durably, for the next attempt to resume from
        if (ch.isOpen()) {
          ch.force(true);
        }
      }
      if (written != size) {
        throw new IOException(
            "artifact " + sha256 + ": the transfer ended at " + written + " of " + size + " bytes");
      }
    }
  }

  /** Uploads a hard example: a multipart body with the metadata JSON and the input bytes. */
  void uploadSample(String credential, SampleUpload upload, byte[] input) {
    String boundary = "strata-" + UUID.randomUUID();
    ByteArrayOutputStream body = new ByteArrayOutputStream(input.length + 1024);
    part(body, boundary, "metadata", "application/json", Json.writeBytes(upload));
    part(body, boundary, "input", upload.contentType(), input);
    body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    HttpRequest r =
        request("/api/v1/nodes/self/samples", Optional.of(credential))
            .header("Content-Type", "multipart/form-data; boundary=" + boundary)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
            .build();
    HttpResponse<byte[]> response = send(r);
    if (response.statusCode() / 100 != 2) {
      throw error(response.statusCode(), response.body());
    }
  }

  private static void part(
      ByteArrayOutputStream out, String boundary, String name, String type, byte[] content) {
    String head =
        "--"
            + boundary
            + "\r\nContent-Disposition: form-data; name=\""
            + name
            + "\""
            + (name.equals("input") ? "; filename=\"input\"" : "")
            + "\r\nContent-Type: "
            + type
            + "\r\n\r\n";
    out.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(content);
    out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
  }

  // ---- plumbing -------------------------------------------------------------------------------

  private HttpRequest.Builder request(String path, Optional<String> credential) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(requestTimeout);
    credential.ifPresent(c -> b.header("Authorization", "Bearer " + c));
    return b;
  }

  private HttpRequest.Builder json(String path, Optional<String> credential) {
    return request(path, credential)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json");
  }

  private HttpResponse<byte[]> send(HttpRequest r) {
    try {
      return http.send(r, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw unreachable(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StrataException(ErrorCode.CANCELLED, "interrupted while calling the cloud");
    }
  }

  private StrataException unreachable(IOException e) {
    String why =
        e instanceof HttpTimeoutException
            ? "timed out"
            : e instanceof ConnectException ? "cannot connect" : String.valueOf(e.getMessage());
    return new StrataException(ErrorCode.UNAVAILABLE, "cloud " + base + " unreachable: " + why, e);
  }

  private static <T> T read(HttpResponse<byte[]> response, Class<T> type) {
    if (response.statusCode() / 100 != 2) {
      throw error(response.statusCode(), response.body());
    }
    try {
      return Json.mapper().readValue(response.body(), type);
    } catch (IOException e) {
      throw new StrataException(
          ErrorCode.INTERNAL,
          "unreadable " + type.getSimpleName() + " from the cloud: " + e.getMessage(),
          e);
    }
  }

  /**
   * The cloud's error answer: {@code {"error": {"code", "message"}}} (the API's form), or {@code
   * {"error": "...", "code": "..."}} (the inference server's), else the status alone.
   */
  static StrataException error(int status, byte[] body) {
    ErrorCode code = ErrorCode.fromHttpStatus(status);
    String message = "HTTP " + status;
    try {
      JsonNode root = Json.mapper().readTree(body);
      JsonNode e = root == null ? null : root.get("error");
      JsonNode c = null;
      if (e != null && e.isObject()) {
        c = e.get("code");
        message = e.path("message").asText(message);
      } else if (e != null && e.isTextual()) {
        c = root.get("code");
        message = e.asText();
      }
      if (c != null && c.isTextual()) {
        code = ErrorCode.valueOf(c.asText());
      }
    } catch (IOException | IllegalArgumentException ignored) {
      // not JSON, or an unknown code: the status decides
    }
    return new StrataException(code, "cloud: " + message);
  }

  @Override
  public void close() {
    watchdog.shutdownNow();
    http.shutdownNow(); // the threads that used it have stopped: nothing to wait for
  }
}
