package dev.strata.edge;

import dev.strata.control.DesiredModel;
import dev.strata.control.ManifestVerificationException;
import dev.strata.control.ManifestVerifier;
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
   * and signature checked again) is put back in the repository; anything else there is removed.
   * Runs before the runtime starts, so the runtime loads exactly these.
   */
  static AppliedState from(
      AppliedState saved,
      ArtifactCache artifacts,
      ModelStore store,
      Optional<ManifestVerifier> verifier) {
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
      } catch (ManifestVerificationException | UncheckedIOException e) {
        LOG.error(
            "cannot serve {} again: its artifact is missing or damaged ({})",
            m.model(),
            e.getMessage());
        continue;
      }
      if (!store.isInstalled(m.model(), m.version(), file)) {
        store.install(m.model(), m.version(), file);
      }
      store.serveOnly(m.model(), m.version());
      store.removeVersionsExcept(m.model(), m.version());
      ok.add(m);
      names.add(m.model());
    }
    store.retainOnly(names);
    return new AppliedState(
        ok.size() == saved.models().size() ? saved.etag() : Optional.empty(), ok);
  }
}
