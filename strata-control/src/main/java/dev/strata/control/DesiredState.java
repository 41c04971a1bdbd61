package dev.strata.control;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * Everything one node (or the cloud) should run, with an ETag over the content: a node polls with
 * {@code If-None-Match} and gets 304 while nothing changed.
 *
 * @param nodeId the node id, or {@code cloud}
 * @param models the models, ordered by deployment name
 * @param etag a hash of {@code models}: equal content, equal ETag
 */
public record DesiredState(String nodeId, List<DesiredModel> models, String etag) {
  public DesiredState {
    requireNonNull(nodeId, "nodeId");
    models = List.copyOf(models);
    requireNonNull(etag, "etag");
  }
}
