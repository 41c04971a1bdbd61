package dev.strata.control;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.core.StrataException;
import java.util.regex.Pattern;

/**
 * The metadata of a hard example an edge uploads ({@code POST /api/v1/samples}, multipart: this as
 * JSON plus the input bytes).
 *
 * @param deployment the deployment whose model answered on the edge
 * @param contentType the input's media type (e.g. {@code application/octet-stream}, {@code
 *     image/jpeg}, or the OIP request JSON)
 * @param edgeAnswer the edge model's answer, as JSON (e.g. an OIP inference response)
 * @param cloudAnswer the cloud model's answer, as JSON
 */
public record SampleUpload(
    String deployment, String contentType, JsonNode edgeAnswer, JsonNode cloudAnswer) {
  private static final Pattern MEDIA_TYPE = Pattern.compile("[\\w.+-]+/[\\w.+-]+");

  public SampleUpload {
    Names.requireName(deployment, "deployment");
    requireNonNull(contentType, "contentType");
    if (!MEDIA_TYPE.matcher(contentType).matches()) {
      throw StrataException.invalid("contentType: %s (expected: type/subtype)", contentType);
    }
    edgeAnswer = requireNonNull(edgeAnswer, "edgeAnswer").deepCopy();
    cloudAnswer = requireNonNull(cloudAnswer, "cloudAnswer").deepCopy();
  }
}
