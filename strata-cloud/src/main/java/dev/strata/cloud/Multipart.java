package dev.strata.cloud;

import dev.strata.core.StrataException;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.multipart.DefaultHttpDataFactory;
import io.netty.handler.codec.http.multipart.HttpData;
import io.netty.handler.codec.http.multipart.HttpPostMultipartRequestDecoder;
import io.netty.handler.codec.http.multipart.InterfaceHttpData;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** The named parts of a {@code multipart/form-data} body, decoded by Netty's multipart decoder. */
final class Multipart {
  private final Map<String, byte[]> parts;

  private Multipart(Map<String, byte[]> parts) {
    this.parts = parts;
  }

  /** Decodes {@code body}; INVALID_ARGUMENT when it is not multipart or lacks a required part. */
  static Multipart parse(Optional<String> contentType, byte[] body, List<String> required) {
    String type = contentType.orElse("");
    if (!type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")
        || !type.toLowerCase(Locale.ROOT).contains("boundary=")) {
      throw StrataException.invalid(
          "Content-Type: %s (expected: multipart/form-data; boundary=... with parts %s)",
          type.isEmpty() ? "(none)" : type, required);
    }
    FullHttpRequest request =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1, HttpMethod.POST, "/", Unpooled.wrappedBuffer(body));
    request.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
    HttpPostMultipartRequestDecoder decoder =
        new HttpPostMultipartRequestDecoder(new DefaultHttpDataFactory(false), request);
    Map<String, byte[]> parts = new HashMap<>();
    try {
      for (InterfaceHttpData data : decoder.getBodyHttpDatas()) {
        if (data instanceof HttpData d) {
          parts.put(d.getName(), d.get());
        }
      }
    } catch (IOException | RuntimeException e) {
      throw StrataException.invalid("multipart body: cannot decode (%s)", e.getMessage());
    } finally {
      decoder.destroy();
      request.release();
    }
    for (String name : required) {
      if (!parts.containsKey(name)) {
        throw StrataException.invalid(
            "multipart body: no part '%s' (expected parts: %s; found: %s)",
            name, required, parts.keySet());
      }
    }
    return new Multipart(parts);
  }

  byte[] part(String name) {
    return parts.get(name);
  }
}
