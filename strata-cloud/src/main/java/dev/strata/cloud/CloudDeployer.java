package dev.strata.cloud;

import static java.util.Objects.requireNonNull;

import dev.strata.api.CloudStatus;
import dev.strata.control.ArtifactManifest;
import dev.strata.control.DesiredModel;
import dev.strata.control.DesiredState;
import dev.strata.control.LoadState;
import dev.strata.control.ManifestVerificationException;
import dev.strata.control.ManifestVerifier;
import dev.strata.registry.deploy.DeploymentService;
import dev.strata.registry.model.ModelRegistry;
import dev.strata.runtime.InferenceService;
import dev.strata.runtime.ModelConfig;
import dev.strata.runtime.backend.Backends;
import dev.strata.runtime.install.Backoff;
import dev.strata.runtime.install.ModelInstaller;
import dev.strata.runtime.install.ModelReconciler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the models the cloud serves equal to its deployments ({@code target: CLOUD}): for each
 * model the shared reconcile core ({@link ModelReconciler}) verifies the signed manifests, copies
 * the artifacts into the runtime's repository through its {@link ModelInstaller}, configures it to
 * serve exactly the deployed versions, and has the runtime load it, which swaps versions without
 * failing a request; models no longer deployed are unloaded and removed. A failure is retried with
 * the model's {@link Backoff}. It runs on one thread, when told of a change and every {@code
 * interval} in case something changed by another way (a manual unload, a failed load to retry with
 * backoff).
 */
final class CloudDeployer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CloudDeployer.class);
  private static final Duration FIRST_RETRY = Duration.ofSeconds(5);
  private static final Duration MAX_RETRY = Duration.ofMinutes(5);

  private final DeploymentService deployments;
  private final ModelRegistry models;
  private final ManifestVerifier verifier;
  private final ModelInstaller installer;
  private final Clock clock;
  private final Duration interval;
  private final ScheduledExecutorService loop;
  private final AtomicBoolean nudged = new AtomicBoolean();
  private final Map<String, ModelState> states = new ConcurrentHashMap<>();
  private final Map<String, List<String>> labels = new ConcurrentHashMap<>();
  private volatile InferenceService runtime;
  private volatile String appliedEtag = "";
  private volatile Optional<Instant> lastReconcileAt = Optional.empty();

  /** Where one model is: what was last tried, and its failure if it failed. */
  private static final class ModelState {
    volatile LoadState state = LoadState.LOADING;
    volatile Optional<String> error = Optional.empty();
    ModelPlan failedPlan;
    Instant retryAt = Instant.MIN;
    ModelReconciler.Target applied;
    final Backoff backoff = new Backoff(FIRST_RETRY, MAX_RETRY, new Random());
  }

  /** One model's deployed versions, by version number. */
  record ModelPlan(String model, TreeMap<Long, DesiredModel> versions) {}

  /** What the desired state asks of the repository, and the deployments it cannot honour. */
  record Plan(Map<String, ModelPlan> models, Map<String, String> refused) {
    static Plan of(DesiredState desired) {
      Map<String, ModelPlan> models = new LinkedHashMap<>();
      Map<String, String> refused = new LinkedHashMap<>();
      for (DesiredModel m : desired.models()) {
        if (Backends.builtIn().forFormat(m.format()).isEmpty()) {
          refused.put(
              m.deployment(),
              String.format(
                  "variant %s of %s version %d has format %s (expected one of: %s, which the"
                      + " cloud runtime serves)",
                  m.variant(),
                  m.model(),
                  m.version(),
                  m.format(),
                  String.join(", ", Backends.builtIn().formats())));
          continue;
        }
        ModelPlan plan = models.computeIfAbsent(m.model(), n -> new ModelPlan(n, new TreeMap<>()));
        DesiredModel other = plan.versions().get(m.version());
        if (other != null && !other.sha256().equals(m.sha256())) {
          refused.put(
              m.deployment(),
              String.format(
                  "%s version %d is already deployed to the cloud as variant %s by deployment %s"
                      + " (expected: one variant per model version on the cloud)",
                  m.model(), m.version(), other.variant(), other.deployment()));
          continue;
        }
        if (other == null) {
          plan.versions().put(m.version(), m);
        }
      }
      return new Plan(models, refused);
    }
  }

  CloudDeployer(
      DeploymentService deployments,
      ModelRegistry models,
      ManifestVerifier verifier,
      ModelInstaller installer,
      Clock clock,
      Duration interval) {
    this.deployments = requireNonNull(deployments, "deployments");
    this.models = requireNonNull(models, "models");
    this.verifier = requireNonNull(verifier, "verifier");
    this.installer = requireNonNull(installer, "installer");
    this.clock = requireNonNull(clock, "clock");
    this.interval = requireNonNull(interval, "interval");
    this.loop =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("strata-cloud-deployer").daemon(true).unstarted(r));
  }

  /**
   * Before the runtime starts: removes crash leftovers and makes the repository hold exactly the
   * deployed models, so that the runtime's start-up loads them. Failures are reported in {@link
   * #status} and retried once running.
   */
  void prepare() {
    installer.sweep();
    reconcileQuietly();
  }

  /** Starts keeping {@code service} in line with the deployments. */
  void start(InferenceService service) {
    this.runtime = requireNonNull(service, "service");
    long ms = interval.toMillis();
    loop.scheduleWithFixedDelay(this::reconcileQuietly, 0, ms, TimeUnit.MILLISECONDS);
  }

  /** Something changed: reconcile soon (coalesced with other nudges). */
  void nudge() {
    if (runtime != null && nudged.compareAndSet(false, true)) {
      try {
        loop.execute(
            () -> {
              nudged.set(false);
              reconcileQuietly();
            });
      } catch (java.util.concurrent.RejectedExecutionException closed) {
        // shutting down
      }
    }
  }

  private void reconcileQuietly() {
    try {
      reconcile();
    } catch (RuntimeException e) {
      LOG.warn("cloud deployments: cannot reconcile now; will retry", e);
    }
  }

  /** One pass: make the repository and the runtime match the desired state. */
  synchronized void reconcile() {
    DesiredState desired = deployments.desiredStateForCloud();
    Plan plan = Plan.of(desired);
    plan.refused().forEach((deployment, why) -> LOG.debug("deployment {}: {}", deployment, why));
    for (ModelPlan p : plan.models().values()) {
      apply(p);
    }
    for (String model : installer.models()) {
      if (!plan.models().containsKey(model)) {
        remove(model);
      }
    }
    states.keySet().retainAll(plan.models().keySet());
    appliedEtag = desired.etag();
    lastReconcileAt = Optional.of(clock.instant());
  }

  private void apply(ModelPlan p) {
    ModelState st = states.computeIfAbsent(p.model(), m -> new ModelState());
    Instant now = clock.instant();
    if (p.equals(st.failedPlan) && now.isBefore(st.retryAt)) {
      return; // failed with this very plan recently: back off
    }
    InferenceService service = runtime;
    ModelReconciler.Target target = new ModelReconciler.Target(p.model(), p.versions(), labels(p));
    ModelReconciler.Outcome outcome;
    if (service == null) {
      outcome = prepare(target);
    } else {
      outcome =
          new ModelReconciler(installer, service)
              .apply(
                  target,
                  Optional.ofNullable(st.applied),
                  verifier,
                  (m, signed, v) ->
                      new ModelReconciler.Artifact.Remote(
                          () -> models.openArtifact(signed.sha256(), 0, Long.MAX_VALUE).stream()),
                  new ModelReconciler.Progress() {
                    @Override
                    public void state(ModelReconciler.Target t, LoadState state) {
                      st.state = state;
                    }
                  });
    }
    switch (outcome) {
      case ModelReconciler.Outcome.Applied applied -> {
        if (applied.loaded() && service != null) {
          LOG.info("cloud serves {} version(s) {}", p.model(), p.versions().keySet());
        }
        st.state = service == null ? LoadState.LOADING : LoadState.READY;
        st.error = Optional.empty();
        st.failedPlan = null;
        st.applied = target;
        st.backoff.reset();
      }
      case ModelReconciler.Outcome.Rejected r -> failed(st, p, now, r.reason());
      case ModelReconciler.Outcome.Retry r -> failed(st, p, now, r.reason());
    }
  }

  /** Before the runtime starts: the files only, which its start-up loads. */
  private ModelReconciler.Outcome prepare(ModelReconciler.Target target) {
    try {
      for (DesiredModel m : target.versions().values()) {
        ArtifactManifest manifest = verify(m);
        installer.install(
            m.model(),
            m.version(),
            manifest.format(),
            manifest.sha256(),
            manifest.size(),
            () -> models.openArtifact(manifest.sha256(), 0, Long.MAX_VALUE).stream());
      }
      installer.configure(
          target.model(),
          ModelConfig.builder().versions(target.versions().keySet()).build(),
          target.labels());
      installer.retainVersions(target.model(), target.versions().keySet());
      return new ModelReconciler.Outcome.Applied(false);
    } catch (RuntimeException e) {
      return new ModelReconciler.Outcome.Retry(String.valueOf(e.getMessage()));
    }
  }

  private void failed(ModelState st, ModelPlan p, Instant now, String reason) {
    Duration backoff = st.backoff.next();
    st.failedPlan = p;
    st.retryAt = now.plus(backoff);
    st.state = LoadState.FAILED;
    st.error = Optional.of(reason);
    LOG.warn(
        "cloud model {}: {} (retrying in {} s or when its deployments change)",
        p.model(),
        reason,
        backoff.toSeconds());
  }

  private ArtifactManifest verify(DesiredModel m) {
    ArtifactManifest manifest = verifier.verify(m.manifest());
    if (!manifest.sha256().equals(m.sha256())
        || !manifest.model().equals(m.model())
        || manifest.version() != m.version()
        || !manifest.variant().equals(m.variant())) {
      throw new ManifestVerificationException(
          String.format(
              "deployment %s: manifest is for %s version %d variant %s with sha256 %s (expected: %s"
                  + " version %d variant %s with sha256 %s)",
              m.deployment(),
              manifest.model(),
              manifest.version(),
              manifest.variant(),
              manifest.sha256(),
              m.model(),
              m.version(),
              m.variant(),
              m.sha256()));
    }
    return manifest;
  }

  private List<String> labels(ModelPlan p) {
    DesiredModel newest = p.versions().lastEntry().getValue();
    String key = newest.model() + "/" + newest.version() + "/" + newest.variant();
    return labels.computeIfAbsent(
        key, k -> models.variant(newest.model(), newest.version(), newest.variant()).labels());
  }

  private void remove(String model) {
    InferenceService service = runtime;
    if (service != null) {
      new ModelReconciler(installer, service).remove(model);
      LOG.info("cloud no longer serves {}: no deployment asks for it", model);
    } else {
      installer.remove(model);
    }
  }

  /** The desired models with where each is. */
  CloudStatus status() {
    DesiredState desired = deployments.desiredStateForCloud();
    Plan plan = Plan.of(desired);
    InferenceService service = runtime;
    List<CloudStatus.Model> out = new ArrayList<>();
    for (DesiredModel m : desired.models()) {
      LoadState state;
      Optional<String> error = Optional.empty();
      String refused = plan.refused().get(m.deployment());
      ModelState st = states.get(m.model());
      if (refused != null) {
        state = LoadState.FAILED;
        error = Optional.of(refused);
      } else if (st != null && st.state == LoadState.FAILED) {
        state = LoadState.FAILED;
        error = st.error;
      } else if (service != null
          && service.modelReady(m.model(), Optional.of(Long.toString(m.version())))) {
        state = LoadState.READY;
      } else {
        state = st != null && st.state == LoadState.DOWNLOADING ? st.state : LoadState.LOADING;
      }
      out.add(
          new CloudStatus.Model(
              m.deployment(),
              m.revision(),
              m.model(),
              m.version(),
              m.variant(),
              m.sha256(),
              state,
              error));
    }
    return new CloudStatus(desired.etag(), appliedEtag, lastReconcileAt, out);
  }

  /** The model names the deployer manages (for tests). */
  Set<String> managedModels() {
    return Set.copyOf(states.keySet());
  }

  @Override
  public void close() {
    loop.shutdownNow();
    try {
      loop.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
