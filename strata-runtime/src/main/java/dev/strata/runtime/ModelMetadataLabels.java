package dev.strata.runtime;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strata.core.StrataException;
import dev.strata.preprocess.ModelMetadataKeys;
import java.util.List;
import java.util.Map;

/** The class names an exported model carries in its metadata ({@code strata.labels}). */
final class ModelMetadataLabels {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ModelMetadataLabels() {}

  static List<String> read(String model, Map<String, String> metadata) {
    String json = metadata.get(ModelMetadataKeys.LABELS);
    if (json == null || json.isBlank()) {
      return List.of();
    }
    try {
      return List.copyOf(JSON.readValue(json, new TypeReference<List<String>>() {}));
    } catch (JsonProcessingException e) {
      throw StrataException.invalid(
          "model '%s': metadata %s is not a JSON array of strings (%s)",
          model, ModelMetadataKeys.LABELS, e.getOriginalMessage());
    }
  }
}
