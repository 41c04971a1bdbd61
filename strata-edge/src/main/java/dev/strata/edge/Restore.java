package dev.strata.edge;

import dev.strata.control.DesiredModel;
import dev.strata.control.ManifestVerifier;
import dev.strata.core.StrataException;
import dev.strata.runtime.ModelConfig;
import dev.strata.runtime.install.ModelInstaller;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Edge autonomy at start: what the data directory says was served, checked and put back. */
final class Restore {
  private static final Logger LOG = LoggerFactory.getLogger(Restore.class);

  private Restore() {}

  /**
   * Restores what a previous run served: each model whose artifact is still intact (size, digest
   * and signature checked again) is put back in the repository by the runtime's installer; anything
   * else there is removed. Runs before the runtime starts, so the runtime loads exactly these.
   */
  static AppliedState from(
      AppliedState saved,
      ArtifactCache artifacts,
      ModelInstaller installer,
      Optional<ManifestVerifier> verifier) {
    installer.sweep();
    List<DesiredModel> ok = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (DesiredModel m : saved.models()) {
      if (verifier.isEmpty()) {
        LOG.error("cannot serve {} again: the node has no pinned key to verify it", m.model());
        continue;
      }
      Path file = artifacts.file(m.sha256());
      try {
        verifier.get().verifyFile(m.manifest(), file);
        String format = m.manifest().manifest().format();
        installer.install(m.model(), m.version(), format, file);
        installer.configure(m.model(), configOf(m), List.of());
        installer.retainVersions(m.model(), Set.of(m.version()));
      } catch (UncheckedIOException | StrataException e) {
        LOG.error(
            "cannot serve {} again: its artifact is missing, damaged or of a format this node"
                + " cannot serve ({})",
            m.model(),
            e.getMessage());
        continue;
      }
      ok.add(m);
      names.add(m.model());
    }
    installer.retainModels(names);
    return new AppliedState(
        ok.size() == saved.models().size() ? saved.etag() : Optional.empty(), ok);
  }

  /** The configuration an edge gives a deployed model: exactly its one version. */
  static ModelConfig configOf(DesiredModel m) {
    return ModelConfig.builder().versions(Set.of(m.version())).build();
  }
}
