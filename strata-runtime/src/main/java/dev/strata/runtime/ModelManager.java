package dev.strata.runtime;

import static java.util.Objects.requireNonNull;

import dev.strata.core.ErrorCode;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.ModelMetadata;
import dev.strata.core.ModelStatistics;
import dev.strata.core.RepositoryEntry;
import dev.strata.core.ServerMetadata;
import dev.strata.core.StrataException;
import dev.strata.core.StrataVersion;
import dev.strata.core.TensorSpec;
import dev.strata.modelconfig.Triton;
import dev.strata.runtime.backend.Backends;
import dev.strata.runtime.backend.ModelEngine;
import dev.strata.runtime.backend.OnnxRuntimeBackend;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime: serves every model of a repository through ONNX Runtime. {@link #create} scans the
 * repository and starts loading every model in the background; {@link #ready()} turns true once
 * each has loaded or failed (a model that fails is UNAVAILABLE with its reason and does not stop
 * the others; with {@link RuntimeConfig#strictReadiness()} it keeps the runtime not ready).
 *
 * <p>The request path takes no lock of its own: it reads the model's routing snapshot, validates
 * the request against the chosen version and queues it; that version's workers batch, run and
 * complete it. Futures complete on a worker thread, so dependent stages should be quick or hop to
 * another executor.
 */
public final class ModelManager implements InferenceService {
  private static final Logger LOG = LoggerFactory.getLogger(ModelManager.class);
  private static final String PLATFORM = OnnxRuntimeBackend.INSTANCE.platform();
  private static final List<String> EXTENSIONS =
      List.of("classification", "model_configuration", "model_repository", "statistics");

  private final RuntimeConfig config;
  private final ModelRepository repository;
  private final ModelLifecycle lifecycle;
  private final ConcurrentHashMap<String, ModelEntry> models = new ConcurrentHashMap<>();
  private volatile List<String> startupModels = List.of();
  private final CompletableFuture<Void> startup = new CompletableFuture<>();
  private final AtomicBoolean loadStarted = new AtomicBoolean();
  private final ScheduledThreadPoolExecutor timer;
  private final ExecutorService loaders;
  private final Object shutdownLock = new Object();
  private volatile boolean accepting = true;
  private volatile boolean live = true;
  private final List<ModelEngine> engines = new ArrayList<>();

  private ModelManager(RuntimeConfig config) {
    this.config = requireNonNull(config, "config");
    if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
      throw new StrataException(
          ErrorCode.UNIMPLEMENTED, "the runtime needs a little-endian machine");
    }
    this.repository = new ModelRepository(config.repository());
    this.timer = new ScheduledThreadPoolExecutor(1, daemon("strata-timeouts"));
    timer.setRemoveOnCancelPolicy(true);
    int loaderThreads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    this.loaders = Executors.newFixedThreadPool(loaderThreads, daemon("strata-loader"));
    ModelLoader loader = new ModelLoader(config, repository, timer);
    this.lifecycle = new ModelLifecycle(repository, loader, config.drainTimeout(), () -> accepting);
    OrtSessions.environment();
    for (ModelEngine.Provider p : Backends.engineProviders()) {
      engines.add(p.open(config.repository()));
    }
  }

  /** The model repository this runtime serves. */
  public java.nio.file.Path repository() {
    return config.repository();
  }

  /**
   * The engines serving the models of other backends than ONNX Runtime (found on the class path;
   * see {@link ModelEngine}).
   */
  public List<ModelEngine> engines() {
    return List.copyOf(engines);
  }

  /**
   * The engine of a model: one holding it, else the one whose file its version directories hold.
   */
  private Optional<ModelEngine> engineOf(String model) {
    for (ModelEngine e : engines) {
      if (e.models().contains(model)) {
        return Optional.of(e);
      }
    }
    if (engines.isEmpty()) {
      return Optional.empty();
    }
    java.nio.file.Path dir = config.repository().resolve(model).normalize();
    if (!dir.getParent().equals(config.repository().normalize())
        || !java.nio.file.Files.isDirectory(dir)) {
      return Optional.empty();
    }
    try (java.util.stream.Stream<java.nio.file.Path> versions = java.nio.file.Files.list(dir)) {
      List<java.nio.file.Path> vs = versions.filter(java.nio.file.Files::isDirectory).toList();
      for (ModelEngine e : engines) {
        for (java.nio.file.Path v : vs) {
          if (java.nio.file.Files.isRegularFile(v.resolve(e.backend().modelFile()))) {
            return Optional.of(e);
          }
        }
      }
    } catch (java.io.IOException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  /**
   * Creates the runtime over {@link RuntimeConfig#repository()} and starts loading every model in
   * it; see {@link #startup()}.
   *
   * @throws StrataException INVALID_ARGUMENT when the repository is not a directory
   */
  public static ModelManager create(RuntimeConfig config) {
    ModelManager m = new ModelManager(config);
    m.loadRepository();
    return m;
  }

  /**
   * Creates the runtime over {@link RuntimeConfig#repository()} without loading anything yet, for a
   * server that binds its ports first (a port in use then fails at once, not after the models have
   * loaded); {@link #loadRepository()} starts loading. Not ready until it has finished.
   *
   * @throws StrataException INVALID_ARGUMENT when the repository is not a directory
   */
  public static ModelManager createUnloaded(RuntimeConfig config) {
    return new ModelManager(config);
  }

  /**
   * Starts loading every model of the repository (once; later calls only return the same future).
   *
   * @return {@link #startup()}
   */
  public CompletableFuture<Void> loadRepository() {
    if (loadStarted.compareAndSet(false, true)) {
      List<String> names = repository.models();
      startupModels = names;
      List<CompletableFuture<Void>> loads = new ArrayList<>();
      for (String name : names) {
        ModelEntry entry = models.computeIfAbsent(name, ModelEntry::new);
        loads.add(CompletableFuture.runAsync(() -> loadAtStartup(entry), loaders));
      }
      CompletableFuture.allOf(loads.toArray(CompletableFuture[]::new))
          .whenComplete((ok, e) -> startup.complete(null));
    }
    return startup();
  }

  /**
   * Completes when every model found when loading began ({@link #create} or {@link
   * #loadRepository}) has loaded or failed to.
   */
  public CompletableFuture<Void> startup() {
    return startup.copy();
  }

  private void loadAtStartup(ModelEntry entry) {
    Optional<ModelEngine> engine = engineOf(entry.name);
    if (engine.isPresent()) {
      models.remove(entry.name, entry);
      try {
        engine.get().load(entry.name);
      } catch (RuntimeException e) {
        LOG.warn("model '{}' is unavailable: {}", entry.name, e.getMessage());
      }
      return;
    }
    try {
      lifecycle.load(entry);
    } catch (StrataException e) {
      LOG.warn("model '{}' is unavailable: {}", entry.name, e.getMessage());
    } catch (RuntimeException e) {
      LOG.error("model '{}' is unavailable", entry.name, e);
      entry.reason = "load failed: " + e;
    }
  }

  @Override
  public ServerMetadata serverMetadata() {
    return new ServerMetadata("strata", StrataVersion.get(), EXTENSIONS);
  }

  @Override
  public boolean live() {
    return live;
  }

  @Override
  public boolean ready() {
    if (!accepting || !startup.isDone()) {
      return false;
    }
    if (config.strictReadiness()) {
      for (String name : startupModels) {
        ModelEntry e = models.get(name);
        if (e == null || e.routing.isEmpty()) {
          return false;
        }
      }
    }
    return true;
  }

  // ---- inference --------------------------------------------------------------------------------

  @Override
  public CompletableFuture<InferenceResponse> infer(InferenceRequest request) {
    return infer(request, Pending.NOTHING_TO_RELEASE);
  }

  /** Reads the inputs in place, and releases them as the interface says. */
  @Override
  public CompletableFuture<InferenceResponse> infer(InferenceRequest request, Runnable release) {
    long start = System.nanoTime();
    requireNonNull(request, "request");
    Pending p = new Pending(request, start, requireNonNull(release, "release"));
    CompletableFuture<InferenceResponse> queued;
    try {
      queued = queue(p);
    } catch (RuntimeException | Error e) {
      p.releaseInputs();
      throw e;
    }
    if (queued != p) {
      p.releaseInputs(); // turned away: no queue or worker will read it
    }
    return queued;
  }

  /** Routes and queues a request: {@code p} itself when it is queued, else a failed future. */
  private CompletableFuture<InferenceResponse> queue(Pending p) {
    InferenceRequest request = p.request;
    if (!accepting) {
      return CompletableFuture.failedFuture(shuttingDown());
    }
    ModelEntry entry = models.get(request.model());
    if (entry == null) {
      Optional<ModelEngine> engine = engineOf(request.model());
      if (engine.isPresent()) {
        return CompletableFuture.failedFuture(servedElsewhere(request.model(), engine.get()));
      }
      return CompletableFuture.failedFuture(unknownModel(request.model()));
    }
    long number = 0;
    if (request.version().isPresent()) {
      number = ModelRepository.parseVersion(request.version().get());
      if (number <= 0) {
        return CompletableFuture.failedFuture(
            StrataException.notFound(
                "model '%s' has no version '%s'", request.model(), request.version().get()));
      }
    }
    // A version that closed its queue has already been replaced in the routing: read it again.
    for (int attempt = 0; attempt < 8; attempt++) {
      Routing routing = entry.routing;
      ModelVersion v = number == 0 ? routing.newest : routing.get(number);
      if (v == null) {
        return CompletableFuture.failedFuture(noVersion(entry, routing, number));
      }
      RequestQueue.Offer offer;
      try {
        offer = v.submit(p);
      } catch (StrataException e) {
        v.rejected(p, e.code());
        return CompletableFuture.failedFuture(e);
      }
      switch (offer) {
        case ACCEPTED -> {
          return p;
        }
        case FULL -> {
          v.rejected(p, ErrorCode.RESOURCE_EXHAUSTED);
          return CompletableFuture.failedFuture(
              new StrataException(
                  ErrorCode.RESOURCE_EXHAUSTED,
                  String.format(
                      "model '%s' version %s: the queue is full; retry later", v.model, v.label)));
        }
        case CLOSED -> {
          if (!accepting) {
            return CompletableFuture.failedFuture(shuttingDown());
          }
        }
      }
    }
    return CompletableFuture.failedFuture(
        StrataException.unavailable("model '%s' is being reloaded; retry", request.model()));
  }

  private static StrataException servedElsewhere(String model, ModelEngine engine) {
    return new StrataException(
        ErrorCode.INVALID_ARGUMENT,
        String.format(
            "model '%s' is served by %s, not through the inference protocol's tensors: use the"
                + " OpenAI API (/v1/completions, /v1/chat/completions)",
            model, engine.backend().name()));
  }

  private static StrataException shuttingDown() {
    return StrataException.unavailable("the runtime is shutting down");
  }

  private StrataException unknownModel(String model) {
    return StrataException.notFound(
        "model '%s' is not in the repository (%s)", model, known(models.keySet()));
  }

  /** "models: a, b, c" with the first ten names in order, "and N more" beyond them. */
  static String known(java.util.Collection<String> names) {
    if (names.isEmpty()) {
      return "it has no models";
    }
    List<String> sorted = names.stream().sorted().toList();
    int shown = Math.min(10, sorted.size());
    String list = String.join(", ", sorted.subList(0, shown));
    return "models: "
        + list
        + (sorted.size() > shown ? " and " + (sorted.size() - shown) + " more" : "");
  }

  private static StrataException noVersion(ModelEntry entry, Routing routing, long number) {
    if (number == 0) {
      return StrataException.unavailable(
          "model '%s' has no ready version%s",
          entry.name, entry.reason.isEmpty() ? "" : " (" + entry.reason + ")");
    }
    RepositoryEntry state = entry.state(number);
    if (state != null) {
      return StrataException.unavailable(
          "model '%s' version %d is %s%s",
          entry.name,
          number,
          state.state(),
          state.reason().isEmpty() ? "" : " (" + state.reason() + ")");
    }
    return StrataException.notFound(
        "model '%s' has no version %d (serving: %s)",
        entry.name, number, routing.versions.keySet());
  }

  // ---- metadata, statistics, index -------------------------------------------------------------

  @Override
  public ModelMetadata modelMetadata(String model, Optional<String> version) {
    for (ModelEngine e : engines) {
      if (e.models().contains(model)) {
        return e.metadata(model, version);
      }
    }
    ModelVersion v = serving(model, version);
    ModelSignature s = v.signature;
    List<String> versions = new ArrayList<>();
    for (long n : models.get(model).routing.versions.keySet()) {
      versions.add(Long.toString(n));
    }
    Map<String, Object> parameters = new HashMap<>();
    parameters.put("max_batch_size", s.maxBatchSize());
    s.rawInput().ifPresent(raw -> parameters.put("raw_input", raw));
    v.batchingOff.ifPresent(why -> parameters.put("batching", "off: " + why));
    return new ModelMetadata(
        model,
        versions,
        PLATFORM,
        wireShapes(s.inputs(), s.batching()),
        wireShapes(s.outputs(), s.batching()),
        parameters);
  }

  /** Shapes as Triton reports them: the batch dimension first, as -1, when the model batches. */
  private static List<TensorSpec> wireShapes(List<TensorSpec> specs, boolean batching) {
    if (!batching) {
      return specs;
    }
    List<TensorSpec> out = new ArrayList<>(specs.size());
    for (TensorSpec spec : specs) {
      out.add(new TensorSpec(spec.name(), spec.datatype(), spec.shape().prepend(-1)));
    }
    return out;
  }

  @Override
  public Triton.ModelConfig modelConfig(String model, Optional<String> version) {
    return EffectiveConfig.of(serving(model, version), config.defaultMaxQueueSize());
  }

  @Override
  public boolean modelReady(String model, Optional<String> version) {
    ModelEntry entry = models.get(model);
    if (!accepting) {
      return false;
    }
    if (entry == null) {
      for (ModelEngine e : engines) {
        if (e.models().contains(model)) {
          return e.ready(model, version);
        }
      }
      return false;
    }
    Routing routing = entry.routing;
    if (version.isEmpty()) {
      return routing.newest != null;
    }
    long number = ModelRepository.parseVersion(version.get());
    return number > 0 && routing.get(number) != null;
  }

  @Override
  public List<ModelStatistics> statistics(Optional<String> model, Optional<String> version) {
    List<ModelStatistics> out = new ArrayList<>();
    if (model.isEmpty()) {
      for (String name : new TreeSet<>(models.keySet())) {
        for (ModelVersion v : models.get(name).routing.versions.values()) {
          out.add(v.statistics());
        }
      }
      return out;
    }
    if (version.isPresent()) {
      out.add(serving(model.get(), version).statistics());
      return out;
    }
    ModelEntry entry = models.get(model.get());
    if (entry == null) {
      throw unknownModel(model.get());
    }
    for (ModelVersion v : entry.routing.versions.values()) {
      out.add(v.statistics());
    }
    return out;
  }

  /** The serving version, or the failure {@link #infer} would give. */
  private ModelVersion serving(String model, Optional<String> version) {
    ModelEntry entry = models.get(model);
    if (entry == null) {
      throw unknownModel(model);
    }
    long number = 0;
    if (version.isPresent()) {
      number = ModelRepository.parseVersion(version.get());
      if (number <= 0) {
        throw StrataException.notFound("model '%s' has no version '%s'", model, version.get());
      }
    }
    Routing routing = entry.routing;
    ModelVersion v = number == 0 ? routing.newest : routing.get(number);
    if (v == null) {
      throw noVersion(entry, routing, number);
    }
    return v;
  }

  @Override
  public List<RepositoryEntry> repositoryIndex(boolean readyOnly) {
    TreeSet<String> names = new TreeSet<>(models.keySet());
    try {
      names.addAll(repository.models());
    } catch (StrataException e) {
      LOG.warn("{}", e.getMessage());
    }
    List<RepositoryEntry> out = new ArrayList<>();
    java.util.Set<String> byEngines = new java.util.HashSet<>();
    List<RepositoryEntry> engineEntries = new ArrayList<>();
    for (ModelEngine e : engines) {
      for (RepositoryEntry r : e.index(readyOnly)) {
        engineEntries.add(r);
        byEngines.add(r.name());
      }
    }
    for (String name : names) {
      ModelEntry entry = models.get(name);
      if (byEngines.contains(name)) {
        engineEntries.stream().filter(r -> r.name().equals(name)).forEach(out::add);
      } else if (entry != null) {
        out.addAll(entry.index(readyOnly));
      } else if (!readyOnly) {
        out.add(new RepositoryEntry(name, "", ModelEntry.UNAVAILABLE, "not loaded"));
      }
    }
    return out;
  }

  // ---- lifecycle
  // ---------------------------------------------------------------------------------

  @Override
  public void load(String model) {
    requireNonNull(model, "model");
    if (!accepting) {
      throw shuttingDown();
    }
    repository.modelDir(model); // NOT_FOUND before an entry is made for a name not on disk
    Optional<ModelEngine> engine = engineOf(model);
    if (engine.isPresent()) {
      ModelEntry onnx = models.get(model);
      engine.get().load(model);
      if (onnx != null) { // it was an ONNX model before: that one stops
        lifecycle.unload(onnx, "replaced by a " + engine.get().backend().name() + " model");
        models.remove(model, onnx);
      }
      return;
    }
    for (ModelEngine e : engines) {
      if (e.models().contains(model)) {
        e.unload(model); // now an ONNX model
      }
    }
    lifecycle.load(models.computeIfAbsent(model, ModelEntry::new));
  }

  @Override
  public void unload(String model) {
    requireNonNull(model, "model");
    for (ModelEngine e : engines) {
      if (e.models().contains(model)) {
        e.unload(model);
        return;
      }
    }
    ModelEntry entry = models.get(model);
    if (entry == null) {
      throw unknownModel(model);
    }
    lifecycle.unload(entry, "unloaded");
  }

  @Override
  public void shutdown(Duration timeout) {
    requireNonNull(timeout, "timeout");
    synchronized (shutdownLock) {
      if (!live) {
        return;
      }
      accepting = false;
      long deadline = System.nanoTime() + timeout.toNanos();
      // A load still running sees the runtime stopping before it publishes anything.
      loaders.shutdown();
      List<ModelVersion> all = new ArrayList<>();
      for (ModelEntry entry : models.values()) {
        entry.lock.lock();
        try {
          all.addAll(entry.routing.versions.values());
          entry.routing = Routing.EMPTY;
          entry.reason = "the runtime shut down";
        } finally {
          entry.lock.unlock();
        }
      }
      ModelLifecycle.retire(all, deadline, "the runtime shut down");
      for (ModelEngine e : engines) {
        try {
          e.close();
        } catch (RuntimeException ex) {
          LOG.warn("engine {} did not close cleanly", e.backend().name(), ex);
        }
      }
      timer.shutdownNow();
      live = false;
      LOG.info("runtime shut down ({} version(s) closed)", all.size());
    }
  }

  @Override
  public void close() {
    shutdown(config.drainTimeout());
  }

  // ---- for tests in this package ----------------------------------------------------------------

  /** The versions serving a model now (tests look at their instances). */
  List<ModelVersion> servingVersions(String model) {
    ModelEntry entry = models.get(model);
    return entry == null ? List.of() : List.copyOf(entry.routing.versions.values());
  }

  private static ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r ->
        Thread.ofPlatform().name(prefix + "-" + n.incrementAndGet()).daemon(true).unstarted(r);
  }
}
