package dev.strata.edge;

import static java.util.Objects.requireNonNull;

import dev.strata.control.DesiredModel;
import java.util.List;
import java.util.Optional;

/**
 * What the edge serves, kept in {@code state/applied.json} so that a restart without the cloud
 * serves the same models with the same policies.
 *
 * @param etag the ETag of the desired state this was reconciled to completely, if any
 * @param models the models served, each verified, installed and loaded
 */
record AppliedState(Optional<String> etag, List<DesiredModel> models) {
  static final AppliedState EMPTY = new AppliedState(Optional.empty(), List.of());

  AppliedState {
    requireNonNull(etag, "etag");
    models = List.copyOf(models);
  }
}
