package dev.strata.control;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.strata.core.StrataException;
import java.util.Optional;

/**
 * How an edge node and the cloud share the inference work of one deployment (collaborative
 * inference). Where a policy sends work to the cloud, {@code cloudModel} names the model the cloud
 * serves for it (the deployment's own model when empty).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = InferencePolicy.EdgeOnly.class, name = "edge-only"),
  @JsonSubTypes.Type(value = InferencePolicy.CloudOnly.class, name = "cloud-only"),
  @JsonSubTypes.Type(value = InferencePolicy.Cascade.class, name = "cascade"),
  @JsonSubTypes.Type(value = InferencePolicy.OffloadWhenBusy.class, name = "offload-when-busy")
})
public sealed interface InferencePolicy {
  InferencePolicy EDGE_ONLY = new EdgeOnly();

  /** Answer on the edge, never call the cloud. */
  record EdgeOnly() implements InferencePolicy {}

  /** Forward every request to the cloud (the edge is a gateway). */
  record CloudOnly(Optional<String> cloudModel) implements InferencePolicy {
    public CloudOnly {
      requireNonNull(cloudModel, "cloudModel").ifPresent(m -> Names.requireName(m, "cloudModel"));
    }
  }

  /** Answer on the edge; escalate to the cloud when the edge's confidence is poor. */
  record Cascade(ConfidenceMeasure measure, double threshold, Optional<String> cloudModel)
      implements InferencePolicy {
    public Cascade {
      requireNonNull(measure, "measure");
      requireNonNull(cloudModel, "cloudModel").ifPresent(m -> Names.requireName(m, "cloudModel"));
      if (!(threshold >= 0 && threshold <= 1)) {
        throw StrataException.invalid(
            "cascade threshold: %s (expected: 0-1 for %s)", threshold, measure);
      }
    }
  }

  /** Answer on the edge while its queue is short; send to the cloud when it is longer. */
  record OffloadWhenBusy(int queueLimit, Optional<String> cloudModel) implements InferencePolicy {
    public OffloadWhenBusy {
      requireNonNull(cloudModel, "cloudModel").ifPresent(m -> Names.requireName(m, "cloudModel"));
      if (queueLimit < 0) {
        throw StrataException.invalid("offload queueLimit: %d (expected: >= 0)", queueLimit);
      }
    }
  }
}
