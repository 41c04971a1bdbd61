package dev.strata.edge;

/** Where an answer came from, as the {@code strata.served_by} response parameter says. */
public enum ServedBy {
  /** The edge model answered and nothing was asked of the cloud. */
  EDGE("edge"),
  /** The cloud model answered (cascade escalation, offload, cloud-only). */
  CLOUD("cloud"),
  /** The cloud was asked but did not answer in time (or is down): the edge model answered. */
  EDGE_FALLBACK("edge-fallback");

  private final String wireName;

  ServedBy(String wireName) {
    this.wireName = wireName;
  }

  /** The one with this wire name; {@link #EDGE} for any other. */
  public static ServedBy of(String wire) {
    for (ServedBy b : values()) {
      if (b.wireName.equals(wire)) {
        return b;
      }
    }
    return EDGE;
  }

  /** The parameter value: {@code edge}, {@code cloud} or {@code edge-fallback}. */
  public String wireName() {
    return wireName;
  }
}
