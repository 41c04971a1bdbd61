package dev.strata.preprocess;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strata.core.StrataException;
import java.util.List;
import java.util.Map;

/**
 * The class names an exported model carries in its metadata ({@code strata.labels}), read the same
 * way by the serving runtime and the training and compression tools.
 */
public final class ModelLabels {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ModelLabels() {}

  /**
   * The labels in output order, empty when the model has none.
   *
   * @param model the model's name or file, for the error message
   * @throws StrataException INVALID_ARGUMENT when the entry is not a JSON array of strings
   */
  public static List<String> read(String model, Map<String, String> metadata) {
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
