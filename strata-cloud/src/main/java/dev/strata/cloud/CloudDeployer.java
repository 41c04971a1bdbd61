package dev.strata.cloud;

import static java.util.Objects.requireNonNull;

import dev.strata.api.CloudStatus;
import dev.strata.control.ArtifactManifest;
import dev.strata.control.DesiredModel;
import dev.strata.control.DesiredState;
import dev.strata.control.LoadState;
import dev.strata.control.ManifestVerificationException;
import dev.strata.control.ManifestVerifier;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.registry.deploy.DeploymentService;
import dev.strata.registry.model.ModelRegistry;
import dev.strata.runtime.InferenceService;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * model it verifies the signed manifests, copies the artifacts into the cloud's repository ({@link
 * CloudRepository}), writes a config.json serving exactly the deployed versions, and asks the
 * runtime to load it, which swaps versions without failing a request; models no longer deployed are
 * unloaded and removed. It runs on one thread, when told of a change and every {@code interval} in
 * case something changed by another way (a manual unload, a failed load to retry with backoff).
 */
final class CloudDeployer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CloudDeployer.class);
  private static final Duration FIRST_RETRY = Duration.ofSeconds(5);
  private static final Duration MAX_RETRY = Duration.ofMinutes(5);

  private final DeploymentService deployments;
  private final ModelRegistry models;
  private final ManifestVerifier verifier;
  private final CloudRepository repository;
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
    int failures;
  }

  /** One model's deployed versions, by version number. */
  record ModelPlan(String model, TreeMap<Long, DesiredModel> versions) {}

  /** What the desired state asks of the repository, and the deployments it cannot honour. */
  record Plan(Map<String, ModelPlan> models, Map<String, String> refused) {
    static Plan of(DesiredState desired) {
      Map<String, ModelPlan> models = new LinkedHashMap<>();
      Map<String, String> refused = new LinkedHashMap<>();
      for (DesiredModel m : desired.models()) {
        if (!m.format().equals("onnx")) {
          refused.put(
              m.deployment(),
              String.format(
                  "variant %s of %s version %d has format %s (expected: onnx, which the cloud"
                      + " runtime serves)",
                  m.variant(), m.model(), m.version(), m.format()));
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
      CloudRepository repository,
      Clock clock,
      Duration interval) {
    this.deployments = requireNonNull(deployments, "deployments");
    this.models = requireNonNull(models, "models");
    this.verifier = requireNonNull(verifier, "verifier");
    this.repository = requireNonNull(repository, "repository");
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
    repository.sweep();
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
    for (String model : repository.models()) {
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
    try {
      boolean changed = false;
      for (var e : p.versions().entrySet()) {
        DesiredModel m = e.getValue();
        ArtifactManifest manifest = verify(m);
        changed |=
            repository.ensureVersion(
                p.model(),
                e.getKey(),
                manifest.sha256(),
                manifest.size(),
                sha -> {
                  st.state = LoadState.DOWNLOADING;
                  return models.openArtifact(sha, 0, Long.MAX_VALUE).stream();
                });
      }
      changed |= repository.writeConfig(p.model(), p.versions().navigableKeySet(), labels(p));
      if (service != null && (changed || !serves(service, p))) {
        st.state = LoadState.LOADING;
        long start = System.nanoTime();
        service.load(p.model());
        LOG.info(
            "cloud serves {} version(s) {} (loaded in {} ms)",
            p.model(),
            p.versions().keySet(),
            (System.nanoTime() - start) / 1_000_000);
      }
      repository.retainVersions(p.model(), p.versions().keySet());
      st.state = service == null ? LoadState.LOADING : LoadState.READY;
      st.error = Optional.empty();
      st.failedPlan = null;
      st.failures = 0;
    } catch (RuntimeException e) {
      st.failures++;
      long backoff =
          Math.min(MAX_RETRY.toMillis(), FIRST_RETRY.toMillis() << Math.min(st.failures - 1, 10));
      st.failedPlan = p;
      st.retryAt = now.plusMillis(backoff);
      st.state = LoadState.FAILED;
      st.error = Optional.of(String.valueOf(e.getMessage()));
      LOG.warn(
          "cloud model {}: {} (retrying in {} s or when its deployments change)",
          p.model(),
          e.getMessage(),
          backoff / 1000);
    }
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

  /** The runtime serves exactly the plan's versions. */
  private static boolean serves(InferenceService service, ModelPlan p) {
    for (long v : p.versions().keySet()) {
      if (!service.modelReady(p.model(), Optional.of(Long.toString(v)))) {
        return false;
      }
    }
    try {
      List<String> served = service.modelMetadata(p.model(), Optional.empty()).versions();
      return served.size() == p.versions().size();
    } catch (StrataException e) {
      return false;
    }
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
      try {
        service.unload(model);
        LOG.info("cloud no longer serves {}: no deployment asks for it", model);
      } catch (StrataException e) {
        if (e.code() != ErrorCode.NOT_FOUND) {
          throw e;
        }
      }
    }
    repository.removeModel(model);
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
