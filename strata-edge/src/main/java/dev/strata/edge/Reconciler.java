package dev.strata.edge;

import dev.strata.control.DesiredModel;
import dev.strata.control.DesiredState;
import dev.strata.control.Health;
import dev.strata.control.LoadState;
import dev.strata.control.LoadedModel;
import dev.strata.control.ManifestVerifier;
import dev.strata.core.ErrorCode;
import dev.strata.core.RepositoryEntry;
import dev.strata.core.StrataException;
import dev.strata.runtime.InferenceService;
import dev.strata.runtime.install.Backoff;
import dev.strata.runtime.install.ModelInstaller;
import dev.strata.runtime.install.ModelReconciler;
import dev.strata.serving.ModelControl;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings what the edge serves to the desired state, on its own thread so that downloads and loads
 * never hold heartbeats back. The work on each model is the runtime's shared reconcile core ({@link
 * ModelReconciler}: verify the signed manifest against the pinned key and that a backend serves its
 * format, fetch the artifact (resuming) and verify its size and digest, install it, configure it to
 * serve exactly the deployed version, load it — the runtime swaps versions without failing a
 * request — and put the repository back when the load fails); this class decides what each model
 * should be, from the whole desired state at every pass, and switches the deployment's policy.
 *
 * <p>Two deployments of one model on this node: the one already served keeps it (else the first in
 * the desired state), the other is reported FAILED as a conflict — at every pass, so that once the
 * first is deleted the other is applied. A model the runtime stopped serving for any reason is put
 * back by the next pass (passes run every {@code checkInterval}, and at once when a heartbeat sees
 * it gone), again verified.
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
final class Reconciler implements ModelControl, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

  /** What heartbeats report of the models. */
  record Snapshot(
      Optional<String> appliedEtag,
      Optional<String> targetEtag,
      List<LoadedModel> models,
      Health health) {}

  private final DataDir dir;
  private final ArtifactCache artifacts;
  private final ModelReconciler core;
  private final InferenceService runtime;
  private final CollaborativeInferenceService service;
  private final Supplier<Optional<NodeIdentity>> identity;
  private final ArtifactCache.Downloader downloader;
  private final Backoff backoff;
  private final Duration checkInterval;
  private final TelemetryCollector telemetry;
  private final ScheduledExecutorService thread;

  private final Map<String, DesiredModel> applied = new LinkedHashMap<>();
  private final Map<String, LoadedModel> progress = new ConcurrentHashMap<>();
  private final Map<String, String> rejected = new ConcurrentHashMap<>();
  private final Set<String> conflictsLogged = ConcurrentHashMap.newKeySet();
  private volatile List<DesiredModel> served = List.of();
  private volatile Optional<String> appliedEtag;
  private volatile Optional<DesiredState> target;
  private AppliedState saved;
  private ScheduledFuture<?> next;
  private String verifierKey;
  private ManifestVerifier verifier;

  /**
   * @param installer the runtime's installer over the node's model repository
   * @param runtime what loads the models (the service the edge serves through)
   * @param checkInterval how often a pass checks that every applied model is still served
   */
  Reconciler(
      DataDir dir,
      ArtifactCache artifacts,
      ModelInstaller installer,
      InferenceService runtime,
      CollaborativeInferenceService service,
      Supplier<Optional<NodeIdentity>> identity,
      ArtifactCache.Downloader downloader,
      Backoff backoff,
      Duration checkInterval,
      TelemetryCollector telemetry,
      AppliedState restored,
      Optional<DesiredState> target) {
    this.dir = dir;
    this.artifacts = artifacts;
    this.core = new ModelReconciler(installer, runtime);
    this.runtime = runtime;
    this.service = service;
    this.identity = identity;
    this.downloader = downloader;
    this.backoff = backoff;
    this.checkInterval = checkInterval;
    this.telemetry = telemetry;
    for (DesiredModel m : restored.models()) {
      applied.put(m.deployment(), m);
    }
    this.appliedEtag = restored.etag();
    this.saved = restored;
    this.target = target;
    this.thread =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("strata-edge-reconcile").daemon(true).unstarted(r));
    publish();
  }

  /** Starts reconciling toward the saved target, if any, and checking what is served. */
  void start() {
    schedule(Duration.ZERO);
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
        schedule(checkInterval);
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

  /** One pass over the whole target; false when something must be retried. */
  private boolean pass() {
    Optional<DesiredState> t = target;
    if (t.isEmpty()) {
      return true;
    }
    List<DesiredModel> desired = t.get().models();
    // One deployment per model: the one served keeps it, else the first in the desired state.
    Map<String, DesiredModel> winners = new LinkedHashMap<>();
    for (DesiredModel m : desired) {
      DesiredModel w = winners.get(m.model());
      if (w == null || (!isApplied(w) && isApplied(m))) {
        winners.put(m.model(), m);
      }
    }
    Set<String> deployments = new HashSet<>();
    for (DesiredModel m : desired) {
      deployments.add(m.deployment());
    }
    progress.keySet().retainAll(deployments);
    for (DesiredModel m : desired) {
      DesiredModel w = winners.get(m.model());
      if (w != m) {
        conflict(m, w);
      }
    }
    // Applied deployments no longer desired: removed, unless another deployment takes their model
    // over (then they serve until it is applied or rejected).
    Map<String, DesiredModel> superseded = new HashMap<>();
    for (DesiredModel cur : List.copyOf(applied.values())) {
      DesiredModel w = winners.get(cur.model());
      if (w == null) {
        remove(cur);
      } else if (!w.deployment().equals(cur.deployment())) {
        superseded.put(cur.model(), cur);
      }
    }
    boolean complete = true;
    for (DesiredModel w : winners.values()) {
      complete &= reconcile(w, Optional.ofNullable(superseded.get(w.model())));
    }
    if (complete) {
      appliedEtag = Optional.of(t.get().etag());
    }
    save();
    collectGarbage(t.get());
    return complete;
  }

  private boolean isApplied(DesiredModel m) {
    DesiredModel cur = applied.get(m.deployment());
    return cur != null && cur.model().equals(m.model());
  }

  private void conflict(DesiredModel m, DesiredModel winner) {
    String reason =
        "model " + m.model() + " is already served for deployment " + winner.deployment();
    state(m, LoadState.FAILED, Optional.of(reason));
    if (conflictsLogged.add(key(m) + "#" + winner.deployment())) {
      LOG.error(
          "deployment {} revision {} not applied: {} (it is applied once that deployment is"
              + " removed)",
          m.deployment(),
          m.revision(),
          reason);
    }
  }

  /**
   * Brings one deployment to its desired model; false when it must be retried.
   *
   * @param superseded a deployment no longer desired that serves the same model now
   */
  private boolean reconcile(DesiredModel m, Optional<DesiredModel> superseded) {
    DesiredModel cur = applied.get(m.deployment());
    String key = key(m);
    if (cur != null && sameArtifact(cur, m)) {
      if (!cur.equals(m)) {
        applied.put(m.deployment(), m); // a new revision of the same bytes: policy only
        publish();
      }
      if (core.serves(target(m)) || rejected.containsKey(key)) {
        progress.remove(m.deployment());
        return true;
      }
      LOG.warn(
          "deployment {}: {} version {} is no longer served by the runtime; putting it back",
          m.deployment(),
          m.model(),
          m.version());
    } else if (rejected.containsKey(key)) {
      superseded.ifPresent(this::remove);
      return true;
    }
    Optional<NodeIdentity> id = identity.get();
    if (id.isEmpty()) {
      state(m, LoadState.DOWNLOADING, Optional.of("not enrolled yet"));
      return false;
    }
    Optional<DesiredModel> previous = cur != null ? Optional.of(cur) : Optional.empty();
    ModelReconciler.Outcome outcome =
        core.apply(
            target(m), previous.map(Reconciler::target), verifier(id.get()), fetcher(), hooks(m));
    switch (outcome) {
      case ModelReconciler.Outcome.Applied a -> {
        superseded.ifPresent(s -> applied.remove(s.deployment()));
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
        return true;
      }
      case ModelReconciler.Outcome.Rejected r -> {
        reject(key, m, r.reason());
        superseded.ifPresent(this::remove);
        publish();
        return true;
      }
      case ModelReconciler.Outcome.Retry r -> {
        LOG.warn(
            "deployment {}: cannot fetch {} version {} yet: {}",
            m.deployment(),
            m.model(),
            m.version(),
            r.reason());
        state(m, LoadState.DOWNLOADING, Optional.of(r.reason()));
        return false;
      }
    }
  }

  private static String key(DesiredModel m) {
    return m.deployment() + "#" + m.revision() + "#" + m.sha256();
  }

  private static boolean sameArtifact(DesiredModel a, DesiredModel b) {
    return a.sha256().equals(b.sha256())
        && a.model().equals(b.model())
        && a.version() == b.version();
  }

  private static ModelReconciler.Target target(DesiredModel m) {
    return new ModelReconciler.Target(m.model(), new TreeMap<>(Map.of(m.version(), m)), List.of());
  }

  /** Artifacts from the node's cache: verified there (downloaded, resumed, when missing). */
  private ModelReconciler.Artifacts fetcher() {
    return (m, signed, v) ->
        new ModelReconciler.Artifact.Local(artifacts.fetch(m.manifest(), v, downloader));
  }

  private ModelReconciler.Progress hooks(DesiredModel m) {
    return new ModelReconciler.Progress() {
      @Override
      public void state(ModelReconciler.Target t, LoadState state) {
        Reconciler.this.state(m, state, Optional.empty());
      }

      @Override
      public void beforeLoad(ModelReconciler.Target t) {
        // the policy first: no request may reach the model without it once it is loaded
        List<DesiredModel> routes = new ArrayList<>(applied.values());
        routes.removeIf(d -> d.deployment().equals(m.deployment()) || d.model().equals(m.model()));
        routes.add(m);
        route(routes);
      }

      @Override
      public void restored(ModelReconciler.Target failed) {
        publish();
      }
    };
  }

  private void remove(DesiredModel cur) {
    applied.remove(cur.deployment());
    publish();
    core.remove(cur.model());
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
   * The repository API's load, where the node's owner allowed it ({@code --repository-api}): a
   * model deployed here is verified again (artifact size, digest and signature; a damaged one is
   * downloaded again) and reinstalled and loaded from the verified bytes. Nothing else can be
   * loaded.
   */
  @Override
  public void load(String model) {
    call(
        () -> {
          DesiredModel m = deployedAs(model);
          Optional<NodeIdentity> id = identity.get();
          if (id.isEmpty()) {
            throw new StrataException(ErrorCode.UNAVAILABLE, "this node is not enrolled yet");
          }
          ModelReconciler.Outcome outcome =
              core.apply(
                  target(m), Optional.of(target(m)), verifier(id.get()), fetcher(), hooks(m));
          switch (outcome) {
            case ModelReconciler.Outcome.Applied a -> {
              publish();
              LOG.info(
                  "model '{}': verified and {} on request",
                  model,
                  a.loaded() ? "loaded again" : "unchanged");
            }
            case ModelReconciler.Outcome.Rejected r -> {
              publish();
              throw new StrataException(
                  ErrorCode.FAILED_PRECONDITION,
                  "model '" + model + "' was not loaded: " + r.reason());
            }
            case ModelReconciler.Outcome.Retry r ->
                throw new StrataException(
                    ErrorCode.UNAVAILABLE,
                    "model '" + model + "' cannot be verified now: " + r.reason());
          }
        });
  }

  /**
   * The repository API's unload: refused. A model deployed here is served until the cloud removes
   * its deployment (and one that stops being served is put back by the next pass).
   */
  @Override
  public void unload(String model) {
    call(
        () -> {
          DesiredModel m = deployedAs(model);
          throw new StrataException(
              ErrorCode.FAILED_PRECONDITION,
              "model '"
                  + model
                  + "' is served for deployment "
                  + m.deployment()
                  + ": only the cloud removes it (delete the deployment there)");
        });
  }

  private DesiredModel deployedAs(String model) {
    for (DesiredModel m : applied.values()) {
      if (m.model().equals(model)) {
        return m;
      }
    }
    throw new StrataException(
        ErrorCode.NOT_FOUND, "model '" + model + "' is not deployed to this node");
  }

  /** Runs on the reconcile thread (one change at a time) and waits for it. */
  private void call(Runnable r) {
    try {
      thread.submit(r).get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StrataException(ErrorCode.UNAVAILABLE, "interrupted");
    } catch (RejectedExecutionException e) {
      throw new StrataException(ErrorCode.UNAVAILABLE, "the edge agent is stopping");
    }
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
    AppliedState now = new AppliedState(appliedEtag, List.copyOf(applied.values()));
    if (!now.equals(saved)) {
      StateFiles.write(dir.applied(), now, false);
      saved = now;
    }
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
      } else if (!rejected.containsKey(key(m))) {
        // gone from the runtime: the next pass puts it back (verified), now
        s = LoadState.LOADING;
        error = Optional.of("not served by the runtime; being put back");
        schedule(Duration.ZERO);
      } else {
        s = LoadState.FAILED;
        RepositoryEntry e = index.get(m.model() + "/" + m.version());
        error = Optional.of(e == null || e.reason().isEmpty() ? rejected.get(key(m)) : e.reason());
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
}
