package dev.strata.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.strata.core.StrataException;
import java.nio.charset.StandardCharsets;

/**
 * The canonical byte form of a manifest that signatures cover: compact UTF-8 JSON, keys in
 * alphabetical order, {@code createdAt} as ISO-8601 UTC text. Any implementation that writes the
 * same fields the same way can verify a manifest; transport formatting (whitespace, key order) does
 * not matter because verifiers re-derive these bytes from the parsed fields.
 */
public final class ManifestCodec {
  private static final ObjectMapper CANONICAL =
      JsonMapper.builder()
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .build();

  private ManifestCodec() {}

  public static byte[] canonical(ArtifactManifest manifest) {
    try {
      return CANONICAL.writeValueAsString(manifest).getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw StrataException.internal("cannot serialise manifest", e);
    }
  }
}
