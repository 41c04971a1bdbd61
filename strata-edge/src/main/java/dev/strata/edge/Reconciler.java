package dev.strata.edge;

import dev.strata.runtime.install.Backoff;
import dev.strata.control.ArtifactManifest;
import dev.strata.control.DesiredModel;
import dev.strata.control.DesiredState;
import dev.strata.control.Health;
import dev.strata.control.LoadState;
import dev.strata.control.LoadedModel;
import dev.strata.control.ManifestVerificationException;
import dev.strata.control.ManifestVerifier;
import dev.strata.core.ErrorCode;
import dev.strata.core.RepositoryEntry;
import dev.strata.core.StrataException;
import dev.strata.runtime.InferenceService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings what the edge serves to the desired state, on its own thread so that downloads and loads
 * never hold heartbeats back. For each desired model: verify the signed manifest against the pinned
 * key, download the artifact (resuming), verify its size and digest, install it in the repository,
 * load it (the runtime swaps versions atomically, without failing a request), then switch the
 * deployment's policy. Models no longer desired are unloaded and removed.
 *
 * <p>A manifest or artifact that fails verification, and a model the runtime cannot load, is
 * rejected for that revision: the previous version keeps serving, the heartbeat reports the
 * revision FAILED with the reason (the cloud rolls a canary back on it) and it is not tried again
 * until the cloud sends another revision. A download that fails (the cloud is unreachable, the
 * connection breaks) is retried with backoff, resuming where it stopped.
 *
 * <p>What is served is written to {@code state/applied.json} after every change, so that a restart
 * without the cloud serves the same models with the same policies.
 */
final class Reconciler implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

  /** What heartbeats report of the models. */
  record Snapshot(
      Optional<String> appliedEtag,
      Optional<String> targetEtag,
      List<LoadedModel> models,
      Health health) {}

  private final DataDir dir;
  private final ArtifactCache artifacts;
  private final ModelStore store;
  private final InferenceService runtime;
  private final CollaborativeInferenceService service;
  private final Supplier<Optional<NodeIdentity>> identity;
  private final ArtifactCache.Downloader downloader;
  private final Backoff backoff;
  private final TelemetryCollector telemetry;
  private final ScheduledExecutorService thread;

  private final Map<String, DesiredModel> applied = new LinkedHashMap<>();
  private final Map<String, LoadedModel> progress = new ConcurrentHashMap<>();
  private final Map<String, String> rejected = new ConcurrentHashMap<>();
  private volatile List<DesiredModel> served = List.of();
  private volatile Optional<String> appliedEtag;
  private volatile Optional<DesiredState> target;
  private ScheduledFuture<?> next;
  private String verifierKey;
  private ManifestVerifier verifier;

  Reconciler(
      DataDir dir,
      ArtifactCache artifacts,
      ModelStore store,
      InferenceService runtime,
      CollaborativeInferenceService service,
      Supplier<Optional<NodeIdentity>> identity,
      ArtifactCache.Downloader downloader,
      Backoff backoff,
      TelemetryCollector telemetry,
      AppliedState restored,
      Optional<DesiredState> target) {
    this.dir = dir;
    this.artifacts = artifacts;
    this.store = store;
    this.runtime = runtime;
    this.service = service;
    this.identity = identity;
    this.downloader = downloader;
    this.backoff = backoff;
    this.telemetry = telemetry;
    for (DesiredModel m : restored.models()) {
      applied.put(m.deployment(), m);
    }
    this.appliedEtag = restored.etag();
    this.target = target;
    this.thread =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("strata-edge-reconcile").daemon(true).unstarted(r));
    publish();
  }

  /** Starts reconciling toward the saved target, if any. */
  void start() {
    if (target.isPresent()) {
      schedule(Duration.ZERO);
    }
  }

  /** A new desired state from the cloud: saved, then reconciled to. */
  void offer(DesiredState state) {
    StateFiles.write(dir.desired(), new TargetState(state), false);
    target = Optional.of(state);
    LOG.info("desired state {}: {} model(s)", state.etag(), state.models().size());
    schedule(Duration.ZERO);
  }

  Optional<String> targetEtag() {
    return target.map(DesiredState::etag);
  }

  private synchronized void schedule(Duration delay) {
    if (thread.isShutdown()) {
      return;
    }
    if (next != null && !next.isDone()) {
      if (next.getDelay(TimeUnit.NANOSECONDS) <= delay.toNanos()) {
        return;
      }
      next.cancel(false);
    }
    next = thread.schedule(this::passSafely, delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  private void passSafely() {
    synchronized (this) {
      next = null; // this run: a retry scheduled from here must not be taken for a pending one
    }
    try {
      if (pass()) {
        backoff.reset();
      } else {
        schedule(backoff.next());
      }
    } catch (RuntimeException e) {
      if (thread.isShutdown()) {
        return; // interrupted by close
      }
      LOG.error("reconciliation failed; retrying", e);
      schedule(backoff.next());
    }
  }

  /** One pass over the target; false when something must be retried. */
  private boolean pass() {
    Optional<DesiredState> t = target;
    if (t.isEmpty()) {
      return true;
    }
    boolean complete = true;
    Map<String, DesiredModel> want = new LinkedHashMap<>();
    for (DesiredModel m : t.get().models()) {
      want.put(m.deployment(), m);
    }
    for (DesiredModel cur : List.copyOf(applied.values())) {
      if (!want.containsKey(cur.deployment())) {
        remove(cur);
      }
    }
    progress.keySet().retainAll(want.keySet());
    for (DesiredModel m : want.values()) {
      if (!reconcile(m)) {
        complete = false;
      }
    }
    if (complete) {
      appliedEtag = Optional.of(t.get().etag());
    }
    save();
    collectGarbage(t.get());
    return complete;
  }

  /** Brings one deployment to its desired model; false when it must be retried. */
  private boolean reconcile(DesiredModel m) {
    DesiredModel cur = applied.get(m.deployment());
    if (cur != null && sameArtifact(cur, m)) {
      if (!cur.equals(m)) {
        applied.put(m.deployment(), m); // a new revision of the same bytes: policy only
        publish();
      }
      progress.remove(m.deployment());
      return true;
    }
    String key = m.deployment() + "#" + m.revision() + "#" + m.sha256();
    if (rejected.containsKey(key)) {
      return true;
    }
    for (DesiredModel other : applied.values()) {
      if (!other.deployment().equals(m.deployment()) && other.model().equals(m.model())) {
        reject(
            key,
            m,
            "model " + m.model() + " is already served for deployment " + other.deployment());
        return true;
      }
    }
    Optional<NodeIdentity> id = identity.get();
    if (id.isEmpty()) {
      state(m, LoadState.DOWNLOADING, Optional.of("not enrolled yet"));
      return false;
    }
    try {
      install(m, cur, verifier(id.get()));
      return true;
    } catch (ManifestVerificationException e) {
      reject(key, m, e.getMessage());
      return true;
    } catch (LoadFailure e) {
      reject(key, m, e.getMessage());
      return true;
    } catch (IOException | UncheckedIOException | StrataException e) {
      LOG.warn(
          "deployment {}: cannot fetch {} version {} yet: {}",
          m.deployment(),
          m.model(),
          m.version(),
          e.getMessage());
      state(m, LoadState.DOWNLOADING, Optional.of(String.valueOf(e.getMessage())));
      return false;
    }
  }

  private static boolean sameArtifact(DesiredModel a, DesiredModel b) {
    return a.sha256().equals(b.sha256())
        && a.model().equals(b.model())
        && a.version() == b.version();
  }

  private void install(DesiredModel m, DesiredModel cur, ManifestVerifier v) throws IOException {
    ArtifactManifest signed = v.verify(m.manifest());
    if (!signed.sha256().equals(m.sha256())
        || signed.size() != m.size()
        || !signed.model().equals(m.model())
        || signed.version() != m.version()
        || !signed.variant().equals(m.variant())) {
      throw new ManifestVerificationException(
          String.format(
              "deployment %s: desired %s version %d variant %s (%s, %d bytes) differs from its"
                  + " signed manifest (%s version %d variant %s, %s, %d bytes)",
              m.deployment(),
              m.model(),
              m.version(),
              m.variant(),
              m.sha256(),
              m.size(),
              signed.model(),
              signed.version(),
              signed.variant(),
              signed.sha256(),
              signed.size()));
    }
    if (!signed.format().equals("onnx")) {
      throw new LoadFailure(
          "format " + signed.format() + " cannot be served here (expected: onnx)");
    }
    state(m, LoadState.DOWNLOADING, Optional.empty());
    Path file = artifacts.fetch(m.manifest(), v, downloader);
    state(m, LoadState.LOADING, Optional.empty());
    store.install(m.model(), m.version(), file);
    store.serveOnly(m.model(), m.version());
    // the policy first: no request may reach the model without it once it is loaded
    List<DesiredModel> routes = new ArrayList<>(applied.values());
    routes.removeIf(d -> d.deployment().equals(m.deployment()));
    routes.add(m);
    route(routes);
    try {
      runtime.load(m.model());
    } catch (RuntimeException e) {
      putBack(m, cur);
      publish();
      throw new LoadFailure("load failed: " + e.getMessage());
    }
    store.removeVersionsExcept(m.model(), m.version());
    applied.put(m.deployment(), m);
    progress.remove(m.deployment());
    save();
    publish();
    LOG.info(
        "deployment {} revision {}: serving {} version {} ({})",
        m.deployment(),
        m.revision(),
        m.model(),
        m.version(),
        m.variant());
  }

  /** After a failed load: the repository back to what still serves. */
  private void putBack(DesiredModel failed, DesiredModel cur) {
    try {
      if (cur == null) {
        store.remove(failed.model());
        try {
          runtime.unload(failed.model());
        } catch (StrataException ignored) {
          // it never served
        }
        return;
      }
      if (cur.version() == failed.version()) {
        Path before = artifacts.file(cur.sha256());
        if (Files.exists(before)) {
          store.install(cur.model(), cur.version(), before);
        }
      } else {
        store.removeVersionsExcept(cur.model(), cur.version());
      }
      store.serveOnly(cur.model(), cur.version());
    } catch (RuntimeException e) {
      LOG.error("cannot restore model {} after a failed load", failed.model(), e);
    }
  }

  private void remove(DesiredModel cur) {
    applied.remove(cur.deployment());
    publish();
    try {
      runtime.unload(cur.model());
    } catch (StrataException e) {
      if (e.code() != ErrorCode.NOT_FOUND) {
        LOG.warn("cannot unload {}: {}", cur.model(), e.getMessage());
      }
    }
    store.remove(cur.model());
    save();
    LOG.info("deployment {} removed: stopped serving {}", cur.deployment(), cur.model());
  }

  private void reject(String key, DesiredModel m, String reason) {
    rejected.put(key, reason);
    state(m, LoadState.FAILED, Optional.of(reason));
    LOG.error(
        "deployment {} revision {} rejected ({} version {} keeps serving where it did): {}",
        m.deployment(),
        m.revision(),
        m.model(),
        applied.containsKey(m.deployment()) ? applied.get(m.deployment()).version() : 0,
        reason);
  }

  private void state(DesiredModel m, LoadState s, Optional<String> error) {
    progress.put(
        m.deployment(),
        new LoadedModel(
            Optional.of(m.deployment()),
            m.revision(),
            m.model(),
            m.version(),
            m.variant(),
            s,
            error));
  }

  private ManifestVerifier verifier(NodeIdentity id) {
    if (!id.manifestPublicKey().equals(verifierKey)) {
      verifier = ManifestVerifier.forPublicKey(id.manifestPublicKey());
      verifierKey = id.manifestPublicKey();
    }
    return verifier;
  }

  /**
   * Why {@code model}, deployed to this node, is not served: the deployment, its revision and its
   * state (FAILED with the reason, or still DOWNLOADING/LOADING); empty when it is served or not
   * deployed here.
   */
  Optional<String> whyNotServed(String model) {
    for (DesiredModel m : served) {
      if (m.model().equals(model)) {
        return Optional.empty();
      }
    }
    for (LoadedModel p : progress.values()) {
      if (p.model().equals(model)) {
        return Optional.of(
            String.format(
                "model '%s' is deployed to this node (deployment %s, revision %d) but not"
                    + " available: %s%s",
                model,
                p.deployment().orElse("?"),
                p.revision(),
                p.state(),
                p.error().map(e -> " (" + e + ")").orElse("")));
      }
    }
    return Optional.empty();
  }

  /** Hands the served deployments to the inference service (and to heartbeats). */
  private void publish() {
    List<DesiredModel> now = List.copyOf(applied.values());
    route(now);
    served = now;
  }

  private void route(List<DesiredModel> models) {
    List<EdgeDeployment> deployments = new ArrayList<>();
    for (DesiredModel m : models) {
      deployments.add(EdgeDeployment.of(m));
    }
    service.deployments(deployments);
  }

  private void save() {
    StateFiles.write(
        dir.applied(), new AppliedState(appliedEtag, List.copyOf(applied.values())), false);
  }

  private void collectGarbage(DesiredState t) {
    Set<String> keep = new HashSet<>();
    Set<String> keepPartial = new HashSet<>();
    Set<String> deployments = new HashSet<>();
    for (DesiredModel m : applied.values()) {
      keep.add(m.sha256());
      deployments.add(m.deployment());
    }
    for (DesiredModel m : t.models()) {
      keep.add(m.sha256());
      keepPartial.add(m.sha256());
      deployments.add(m.deployment());
    }
    artifacts.retainOnly(keep, keepPartial);
    telemetry.retainOnly(deployments);
  }

  /** The state heartbeats report. */
  Snapshot snapshot() {
    List<LoadedModel> models = new ArrayList<>();
    boolean unhealthy = !runtime.ready();
    Map<String, RepositoryEntry> index = new LinkedHashMap<>();
    for (RepositoryEntry e : runtime.repositoryIndex(false)) {
      index.put(e.name() + "/" + e.version(), e);
    }
    for (DesiredModel m : served) {
      LoadState s;
      Optional<String> error = Optional.empty();
      if (runtime.modelReady(m.model(), Optional.of(Long.toString(m.version())))) {
        s = LoadState.READY;
      } else if (!runtime.ready()) {
        s = LoadState.LOADING;
      } else {
        s = LoadState.FAILED;
        RepositoryEntry e = index.get(m.model() + "/" + m.version());
        error = Optional.of(e == null || e.reason().isEmpty() ? "not serving" : e.reason());
        unhealthy = true;
      }
      models.add(
          new LoadedModel(
              Optional.of(m.deployment()),
              m.revision(),
              m.model(),
              m.version(),
              m.variant(),
              s,
              error));
    }
    boolean degraded = false;
    for (LoadedModel p : progress.values()) {
      models.add(p);
      degraded |= p.state() == LoadState.FAILED;
    }
    Health health = unhealthy ? Health.UNHEALTHY : degraded ? Health.DEGRADED : Health.HEALTHY;
    return new Snapshot(appliedEtag, targetEtag(), models, health);
  }

  @Override
  public void close() {
    thread.shutdownNow();
    try {
      thread.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The runtime could not load a verified model, or cannot serve its format. */
  private static final class LoadFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LoadFailure(String message) {
      super(message, null, false, false);
    }
  }
}
