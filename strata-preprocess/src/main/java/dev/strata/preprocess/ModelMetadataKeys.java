package dev.strata.preprocess;

/**
 * The {@code metadata_props} keys Strata writes into exported ONNX models: read by training tools
 * and by the serving runtime alike.
 */
public final class ModelMetadataKeys {
  /** The version of this metadata layout ("1"). */
  public static final String FORMAT_VERSION = "strata.format_version";

  /** The fitted preprocessing pipeline as JSON (see strata-preprocess). */
  public static final String PREPROCESS = FittedPipeline.METADATA_KEY;

  /** The class names in output order, as a JSON array of strings. */
  public static final String LABELS = "strata.labels";

  /** {@code classification} or {@code regression}. */
  public static final String TASK = "strata.task";

  /** Provenance as JSON: Strata version, data set digest, the full training spec, epochs, time. */
  public static final String PROVENANCE = "strata.provenance";

  /** The evaluation metrics as JSON, when the model was evaluated before export. */
  public static final String METRICS = "strata.metrics";

  /** The current value of {@link #FORMAT_VERSION}. */
  public static final int CURRENT_FORMAT = 1;

  private ModelMetadataKeys() {}
}
