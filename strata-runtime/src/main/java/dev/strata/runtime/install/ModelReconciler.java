package dev.strata.runtime.install;

import static java.util.Objects.requireNonNull;

import dev.strata.control.ArtifactManifest;
import dev.strata.control.DesiredModel;
import dev.strata.control.LoadState;
import dev.strata.control.ManifestVerificationException;
import dev.strata.control.ManifestVerifier;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.runtime.InferenceService;
import dev.strata.runtime.ModelConfig;
import dev.strata.runtime.backend.Backend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reconcile core the cloud and the edge share: brings one model of the runtime to a desired set
 * of versions (desired → actual). For each version it verifies the signed manifest (signature, and
 * that it describes exactly the desired model, version, variant, size and digest), checks that a
 * {@link Backend} serves its format, materialises the artifact (from a verified local file or
 * copied and checked while copied), installs it with the {@link ModelInstaller}, writes the typed
 * configuration serving exactly those versions, and has the runtime load the model (which swaps
 * versions without failing a request). A load that fails puts the repository back to the previous
 * target, so what is on disk is what serves. What to do with an outcome (report, retry with {@link
 * Backoff}, remember a rejection) is the caller's: the cloud's deployer and the edge's reconciler
 * differ only in how they read the desired state.
 */
public final class ModelReconciler {
  private static final Logger LOG = LoggerFactory.getLogger(ModelReconciler.class);

  /** One model as it should be served: its versions (with their signed manifests) and labels. */
  public record Target(String model, SortedMap<Long, DesiredModel> versions, List<String> labels) {
    public Target {
      requireNonNull(model, "model");
      versions = new TreeMap<>(versions);
      if (versions.isEmpty()) {
        throw new IllegalArgumentException("target of " + model + ": no version");
      }
      labels = List.copyOf(labels);
    }

    /** A target of one version. */
    public static Target of(DesiredModel m, List<String> labels) {
      return new Target(m.model(), new TreeMap<>(Map.of(m.version(), m)), labels);
    }
  }

  /** A verified artifact's bytes, as the caller has them. */
  public sealed interface Artifact {
    /** A local file already verified against its signed manifest (linked into place). */
    record Local(Path file) implements Artifact {}

    /** Bytes to copy, checked against the signed size and digest while copied. */
    record Remote(ModelInstaller.ArtifactSource source) implements Artifact {}
  }

  /** Where artifacts come from: the edge's cache (downloading), the cloud's artifact store. */
  @FunctionalInterface
  public interface Artifacts {
    /**
     * The bytes of a desired model whose manifest has been verified.
     *
     * @throws IOException when they cannot be had now (retried later)
     */
    Artifact fetch(DesiredModel model, ArtifactManifest verified, ManifestVerifier verifier)
        throws IOException;
  }

  /** What the caller hears while a target is applied. */
  public interface Progress {
    /** The target's state changed (DOWNLOADING, then LOADING). */
    void state(Target target, LoadState state);

    /** Just before the runtime loads the target (the edge publishes its routing policies here). */
    default void beforeLoad(Target target) {}

    /** The load failed and the repository was put back (the edge restores its policies). */
    default void restored(Target failed) {}
  }

  /** How applying a target ended. */
  public sealed interface Outcome {
    /** Served as desired; {@code loaded} when the runtime had to load it. */
    record Applied(boolean loaded) implements Outcome {}

    /** Refused: a manifest or artifact failed verification, or the runtime cannot load it. */
    record Rejected(String reason) implements Outcome {}

    /** Not possible now (the artifact cannot be fetched): retry with backoff. */
    record Retry(String reason) implements Outcome {}
  }

  private final ModelInstaller installer;
  private final InferenceService runtime;

  public ModelReconciler(ModelInstaller installer, InferenceService runtime) {
    this.installer = requireNonNull(installer, "installer");
    this.runtime = requireNonNull(runtime, "runtime");
  }

  public ModelInstaller installer() {
    return installer;
  }

  /**
   * Applies a target.
   *
   * @param previous what served before, put back if the target fails to load
   */
  public Outcome apply(
      Target target,
      Optional<Target> previous,
      ManifestVerifier verifier,
      Artifacts artifacts,
      Progress progress) {
    Map<Long, ArtifactManifest> signed = new TreeMap<>();
    try {
      for (DesiredModel m : target.versions().values()) {
        signed.put(m.version(), verify(m, verifier));
      }
    } catch (ManifestVerificationException e) {
      return new Outcome.Rejected(e.getMessage());
    } catch (StrataException e) {
      if (e.code() == ErrorCode.UNIMPLEMENTED) {
        return new Outcome.Rejected(e.getMessage());
      }
      throw e;
    }
    boolean changed;
    try {
      progress.state(target, LoadState.DOWNLOADING);
      changed = materialise(target, signed, verifier, artifacts);
    } catch (ManifestVerificationException e) {
      return new Outcome.Rejected(e.getMessage());
    } catch (IOException | UncheckedIOException | StrataException e) {
      return new Outcome.Retry(String.valueOf(e.getMessage()));
    }
    if (changed || !serves(target)) {
      progress.state(target, LoadState.LOADING);
      progress.beforeLoad(target);
      try {
        runtime.load(target.model());
      } catch (RuntimeException e) {
        putBack(target, previous, verifier, artifacts);
        progress.restored(target);
        return new Outcome.Rejected("load failed: " + e.getMessage());
      }
      changed = true;
    }
    installer.retainVersions(target.model(), target.versions().keySet());
    return new Outcome.Applied(changed);
  }

  /** Checks the signature and that the manifest describes exactly the desired model. */
  private ArtifactManifest verify(DesiredModel m, ManifestVerifier verifier) {
    ArtifactManifest s = verifier.verify(m.manifest());
    if (!s.sha256().equals(m.sha256())
        || s.size() != m.size()
        || !s.model().equals(m.model())
        || s.version() != m.version()
        || !s.variant().equals(m.variant())
        || !s.format().equalsIgnoreCase(m.format())) {
      throw new ManifestVerificationException(
          String.format(
              "deployment %s: desired %s version %d variant %s (%s, %s, %d bytes) differs from its"
                  + " signed manifest (%s version %d variant %s, %s, %s, %d bytes)",
              m.deployment(),
              m.model(),
              m.version(),
              m.variant(),
              m.format(),
              m.sha256(),
              m.size(),
              s.model(),
              s.version(),
              s.variant(),
              s.format(),
              s.sha256(),
              s.size()));
    }
    installer.backends().requireFormat(s.format());
    return s;
  }

  private boolean materialise(
      Target target,
      Map<Long, ArtifactManifest> signed,
      ManifestVerifier verifier,
      Artifacts artifacts)
      throws IOException {
    boolean changed = false;
    for (DesiredModel m : target.versions().values()) {
      ArtifactManifest s = signed.get(m.version());
      Artifact a = artifacts.fetch(m, s, verifier);
      changed |=
          switch (a) {
            case Artifact.Local l ->
                installer.install(m.model(), m.version(), s.format(), l.file());
            case Artifact.Remote r ->
                installer.install(
                    m.model(), m.version(), s.format(), s.sha256(), s.size(), r.source());
          };
    }
    changed |=
        installer.configure(
            target.model(),
            ModelConfig.builder().versions(target.versions().keySet()).build(),
            target.labels());
    return changed;
  }

  /** After a failed load: the repository back to what still serves (or the model removed). */
  private void putBack(
      Target failed, Optional<Target> previous, ManifestVerifier verifier, Artifacts artifacts) {
    try {
      if (previous.isEmpty()) {
        installer.remove(failed.model());
        try {
          runtime.unload(failed.model());
        } catch (StrataException ignored) {
          // it never served
        }
        return;
      }
      Target p = previous.get();
      Map<Long, ArtifactManifest> signed = new TreeMap<>();
      for (DesiredModel m : p.versions().values()) {
        signed.put(m.version(), verifier.verify(m.manifest()));
      }
      materialise(p, signed, verifier, artifacts);
      installer.retainVersions(p.model(), p.versions().keySet());
    } catch (IOException | RuntimeException e) {
      LOG.error("cannot restore model {} after a failed load", failed.model(), e);
    }
  }

  /** Whether the runtime serves exactly the target's versions. */
  public boolean serves(Target t) {
    for (long v : t.versions().keySet()) {
      if (!runtime.modelReady(t.model(), Optional.of(Long.toString(v)))) {
        return false;
      }
    }
    try {
      List<String> served = runtime.modelMetadata(t.model(), Optional.empty()).versions();
      return served.size() == t.versions().size();
    } catch (StrataException e) {
      return false;
    }
  }

  /** Stops serving a model and deletes its files. */
  public void remove(String model) {
    try {
      runtime.unload(model);
    } catch (StrataException e) {
      if (e.code() != ErrorCode.NOT_FOUND) {
        LOG.warn("cannot unload {}: {}", model, e.getMessage());
      }
    }
    installer.remove(model);
  }

  /** The models installed (directories in the repository). */
  public List<String> installed() {
    return new ArrayList<>(installer.models());
  }
}
