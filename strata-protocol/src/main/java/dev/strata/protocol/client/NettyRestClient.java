package dev.strata.protocol.client;

import static java.util.Objects.requireNonNull;

import dev.strata.core.ErrorCode;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.ModelMetadata;
import dev.strata.core.ModelStatistics;
import dev.strata.core.RepositoryEntry;
import dev.strata.core.ServerMetadata;
import dev.strata.core.StrataException;
import dev.strata.modelconfig.Triton;
import dev.strata.protocol.OipNames;
import dev.strata.protocol.rest.EncodedBody;
import dev.strata.protocol.rest.RestCodec;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;

/** {@link RestClient} on {@link HttpTransport}: HTTP/1.1 keep-alive connections over Netty. */
final class NettyRestClient implements RestClient {
  private final ClientConfig config;
  private final RestCodec codec = new RestCodec();
  private final HttpTransport transport;

  NettyRestClient(ClientConfig config) {
    this.config = requireNonNull(config, "config");
    this.transport = new HttpTransport(config);
  }

  @Override
  public boolean live() {
    return health("/v2/health/live");
  }

  @Override
  public boolean ready() {
    return health("/v2/health/ready");
  }

  @Override
  public ServerMetadata serverMetadata() {
    return get("/v2", codec::decodeServerMetadata);
  }

  @Override
  public ModelMetadata modelMetadata(String model, Optional<String> version) {
    return get(Paths.model(model, version), codec::decodeModelMetadata);
  }

  @Override
  public Triton.ModelConfig modelConfig(String model, Optional<String> version) {
    return get(Paths.model(model, version) + "/config", codec::decodeModelConfig);
  }

  @Override
  public boolean modelReady(String model, Optional<String> version) {
    return health(Paths.model(model, version) + "/ready");
  }

  @Override
  public InferenceResponse infer(InferenceRequest request, InferOptions options) {
    return await(inferAsync(request, options));
  }

  @Override
  public CompletableFuture<InferenceResponse> inferAsync(
      InferenceRequest request, InferOptions options) {
    requireNonNull(request, "request");
    requireNonNull(options, "options");
    EncodedBody body;
    try {
      body = codec.encodeInferRequest(request, options.binaryInputs(), options.binaryOutputs());
    } catch (StrataException e) {
      return CompletableFuture.failedFuture(e);
    }
    return inferAsync(
        request.model(), request.version(), body, request.timeout().orElse(config.timeout()));
  }

  @Override
  public CompletableFuture<InferenceResponse> inferAsync(
      String model, Optional<String> version, EncodedBody body, Duration timeout) {
    requireNonNull(body, "body");
    requireNonNull(timeout, "timeout");
    return transport.send(
        HttpMethod.POST,
        Paths.model(model, version) + "/infer",
        body,
        timeout,
        (status, headers, bytes) -> {
          if (status != 200) {
            throw codec.decodeError(status, bytes);
          }
          return decoded(
              () -> codec.decodeInferResponse(bytes, 0, bytes.length, headerLength(headers)));
        });
  }

  private OptionalInt headerLength(HttpHeaders headers) {
    String h = headers.get(OipNames.INFERENCE_HEADER_CONTENT_LENGTH);
    return h == null
        ? OptionalInt.empty()
        : OptionalInt.of(RestCodec.parseInferenceHeaderContentLength(h));
  }

  @Override
  public List<ModelStatistics> statistics(Optional<String> model, Optional<String> version) {
    requireNonNull(model, "model");
    requireNonNull(version, "version");
    String path =
        model.isEmpty() ? "/v2/models/stats" : Paths.model(model.get(), version) + "/stats";
    return get(path, codec::decodeStatistics);
  }

  @Override
  public List<RepositoryEntry> repositoryIndex(boolean readyOnly) {
    return post(
        "/v2/repository/index",
        codec.repositoryIndexRequest(readyOnly),
        codec::decodeRepositoryIndex);
  }

  @Override
  public void load(String model) {
    post(Paths.repository(model, "load"), codec.repositoryRequest(Map.of()), b -> null);
  }

  @Override
  public void unload(String model) {
    post(Paths.repository(model, "unload"), codec.repositoryRequest(Map.of()), b -> null);
  }

  @Override
  public void close() {
    transport.close();
  }

  // ---- plumbing ----------------------------------------------------------------------------

  private boolean health(String path) {
    return await(
        transport.send(
            HttpMethod.GET,
            path,
            null,
            config.timeout(),
            (status, headers, bytes) -> {
              if (status == 200) {
                return true;
              }
              // The protocol answers "false" with a 4xx; a server that is shutting down may say
              // 503.
              if ((status >= 400 && status < 500) || status == 503) {
                return false;
              }
              throw codec.decodeError(status, bytes);
            }));
  }

  private <T> T get(String path, Function<byte[], T> decode) {
    return await(transport.send(HttpMethod.GET, path, null, config.timeout(), reader(decode)));
  }

  private <T> T post(String path, byte[] json, Function<byte[], T> decode) {
    EncodedBody body = new EncodedBody(ByteBuffer.wrap(json), List.of());
    return await(transport.send(HttpMethod.POST, path, body, config.timeout(), reader(decode)));
  }

  private <T> HttpTransport.ResponseReader<T> reader(Function<byte[], T> decode) {
    return (status, headers, bytes) -> {
      if (status != 200) {
        throw codec.decodeError(status, bytes);
      }
      return decoded(() -> decode.apply(bytes));
    };
  }

  /** Decodes a success body; a body the codec rejects is the server's fault, not the caller's. */
  private <T> T decoded(java.util.function.Supplier<T> decode) {
    try {
      return decode.get();
    } catch (StrataException e) {
      throw new StrataException(
          ErrorCode.INTERNAL,
          "unreadable response from " + config.host() + ":" + config.port() + ": " + e.getMessage(),
          e);
    }
  }

  static <T> T await(CompletableFuture<T> future) {
    try {
      return future.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StrataException s) {
        throw s;
      }
      throw new StrataException(ErrorCode.INTERNAL, String.valueOf(e.getCause()), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      future.cancel(false);
      throw new StrataException(ErrorCode.CANCELLED, "interrupted while waiting for the server");
    }
  }

  /** URL paths of the protocol, with names percent-encoded as path segments. */
  static final class Paths {
    private Paths() {}

    static String model(String model, Optional<String> version) {
      requireNonNull(model, "model");
      StringBuilder sb = new StringBuilder(32).append("/v2/models/");
      segment(sb, model);
      if (version.isPresent()) {
        sb.append("/versions/");
        segment(sb, version.get());
      }
      return sb.toString();
    }

    static String repository(String model, String action) {
      StringBuilder sb = new StringBuilder(48).append("/v2/repository/models/");
      segment(sb, requireNonNull(model, "model"));
      return sb.append('/').append(action).toString();
    }

    /** Appends a path segment, percent-encoding every byte outside RFC 3986's unreserved set. */
    static void segment(StringBuilder sb, String s) {
      if (s.isEmpty()) {
        throw StrataException.invalid("model: empty name");
      }
      for (byte b : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
        char c = (char) (b & 0xff);
        if ((c >= 'a' && c <= 'z')
            || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9')
            || c == '-'
            || c == '.'
            || c == '_'
            || c == '~') {
          sb.append(c);
        } else {
          sb.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)));
          sb.append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
        }
      }
    }
  }
}
