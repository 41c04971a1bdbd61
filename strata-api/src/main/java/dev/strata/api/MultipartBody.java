package dev.strata.api;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.UUID;

/** A {@code multipart/form-data} body built in memory (hard examples are small). */
final class MultipartBody {
  private final String boundary = "strata-" + UUID.randomUUID();
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  MultipartBody part(String name, Optional<String> filename, String type, byte[] content) {
    String head =
        "--"
            + boundary
            + "\r\nContent-Disposition: form-data; name=\""
            + name
            + "\""
            + filename.map(f -> "; filename=\"" + f + "\"").orElse("")
            + "\r\nContent-Type: "
            + type
            + "\r\n\r\n";
    out.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(content);
    out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    return this;
  }

  String contentType() {
    return "multipart/form-data; boundary=" + boundary;
  }

  /** The parts and the closing boundary. */
  byte[] bytes() {
    ByteArrayOutputStream all = new ByteArrayOutputStream(out.size() + 64);
    all.writeBytes(out.toByteArray());
    all.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    return all.toByteArray();
  }
}
