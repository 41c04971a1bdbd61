package dev.strata.edge;

import static java.util.Objects.requireNonNull;

import dev.strata.control.ConfidenceMeasure;
import dev.strata.control.InferencePolicy;
import dev.strata.core.ErrorCode;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.ModelMetadata;
import dev.strata.core.ModelStatistics;
import dev.strata.core.RepositoryEntry;
import dev.strata.core.ServerMetadata;
import dev.strata.core.StrataException;
import dev.strata.modelconfig.Triton;
import dev.strata.runtime.InferenceService;
import dev.strata.serving.ModelControl;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge's {@link InferenceService}: applies each deployment's collaborative-inference policy to
 * requests for its model and hands everything else to the edge runtime unchanged.
 *
 * <ul>
 *   <li>{@code edge-only}: the edge model answers.
 *   <li>{@code cloud-only}: the cloud model answers.
 *   <li>{@code cascade}: the edge model answers; when its confidence (see {@link Confidence}) is
 *       poor, the same request goes to the cloud model and the cloud's answer is returned. A batch
 *       is judged by its least confident row and escalated whole.
 *   <li>{@code offload-when-busy}: while more than {@code queueLimit} requests of the model are
 *       queued or running on the edge, new ones go to the cloud.
 * </ul>
 *
 * <p>The cloud being down is never an error here: whenever the cloud does not answer within the
 * configured timeout (or a circuit breaker knows it is down), the edge's answer is returned. Every
 * answer for a deployed model carries response parameters: {@value #SERVED_BY} ({@code edge},
 * {@code cloud} or {@code edge-fallback}); for a cascade {@value #CONFIDENCE} (the edge's score,
 * see {@link Confidence}) and {@value #CONFIDENCE_MEASURE}; after a fallback {@value #CLOUD_ERROR}
 * (the cloud's error code).
 */
public final class CollaborativeInferenceService implements InferenceService {
  /** Response parameter: {@code edge}, {@code cloud} or {@code edge-fallback}. */
  public static final String SERVED_BY = "strata.served_by";

  /** Response parameter (cascade): the edge's confidence score. */
  public static final String CONFIDENCE = "strata.confidence";

  /** Response parameter (cascade): the measure of {@link #CONFIDENCE}, e.g. MAX_PROBABILITY. */
  public static final String CONFIDENCE_MEASURE = "strata.confidence_measure";

  /** Response parameter (fallback): why the cloud did not answer, as an error code. */
  public static final String CLOUD_ERROR = "strata.cloud_error";

  /**
   * Request parameter: {@value #EDGE_ONLY} answers on the edge whatever the deployment's policy, to
   * measure the edge model alone or to keep one request off the cloud. Only that value is taken: a
   * client of the edge cannot send work to the cloud that the policy would not.
   */
  public static final String POLICY = "strata.policy";

  /** The one value of {@link #POLICY}. */
  public static final String EDGE_ONLY = "edge-only";

  private static final Logger LOG = LoggerFactory.getLogger(CollaborativeInferenceService.class);
  private static final long GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

  private final InferenceService edge;
  private final CloudInference cloud;
  private final Duration cloudTimeout;
  private final InferenceListener listener;
  private final CloudCircuit circuit;
  private final ExecutorService cloudCalls = Executors.newVirtualThreadPerTaskExecutor();
  private final ConcurrentHashMap<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Optional<ScoreSpec>> scoreSpecs =
      new ConcurrentHashMap<>();
  private volatile Map<String, EdgeDeployment> deployments = Map.of();
  private volatile Function<String, Optional<String>> notServed = model -> Optional.empty();
  private volatile ModelControl modelControl = ModelControl.of(this);

  /**
   * @param edge the edge runtime
   * @param cloud where escalated requests go
   * @param cloudTimeout how long an escalated request waits for the cloud
   * @param listener told of every request to a deployed model
   */
  public CollaborativeInferenceService(
      InferenceService edge,
      CloudInference cloud,
      Duration cloudTimeout,
      InferenceListener listener) {
    this(edge, cloud, cloudTimeout, listener, CloudCircuit.standard());
  }

  CollaborativeInferenceService(
      InferenceService edge,
      CloudInference cloud,
      Duration cloudTimeout,
      InferenceListener listener,
      CloudCircuit circuit) {
    this.edge = requireNonNull(edge, "edge");
    this.cloud = requireNonNull(cloud, "cloud");
    this.cloudTimeout = requireNonNull(cloudTimeout, "cloudTimeout");
    this.listener = requireNonNull(listener, "listener");
    this.circuit = requireNonNull(circuit, "circuit");
  }

  /** Replaces the deployments served, keyed by their model; takes effect for the next request. */
  public void deployments(Collection<EdgeDeployment> served) {
    Map<String, EdgeDeployment> byModel = new LinkedHashMap<>();
    for (EdgeDeployment d : served) {
      EdgeDeployment before = byModel.putIfAbsent(d.model(), d);
      if (before != null) {
        throw StrataException.invalid(
            "model '%s': deployed by both %s and %s (expected: one deployment per model)",
            d.model(), before.deployment(), d.deployment());
      }
    }
    this.deployments = Map.copyOf(byModel);
    scoreSpecs.clear();
  }

  /**
   * Says why a model deployed to this node is not served (its revision failed verification or is
   * still downloading): requests for it are then 503 UNAVAILABLE with that reason, not 404.
   */
  public void notServedReason(Function<String, Optional<String>> why) {
    this.notServed = requireNonNull(why, "why");
  }

  /**
   * Where the local repository API's loads and unloads go when the agent allows them ({@code
   * --repository-api}); the default loads and unloads on the edge runtime. The cloud's own
   * deployments do not pass through it.
   */
  public void modelControl(ModelControl control) {
    this.modelControl = requireNonNull(control, "control");
  }

  /**
   * The repository API's view of model control: every call is logged at WARN (the caller is not
   * known) and goes to the current {@link #modelControl(ModelControl)} hook.
   */
  ModelControl repositoryApi() {
    return new ModelControl() {
      @Override
      public void load(String model) {
        LOG.warn(
            "model '{}': load asked for through the local repository API (--repository-api is on)",
            model);
        modelControl.load(model);
      }

      @Override
      public void unload(String model) {
        LOG.warn(
            "model '{}': unload asked for through the local repository API (--repository-api is"
                + " on)",
            model);
        modelControl.unload(model);
      }
    };
  }

  /** The deployments served now, by model. */
  public Map<String, EdgeDeployment> deployments() {
    return deployments;
  }

  /** Requests queued or running on the edge runtime, over every model. */
  public int inFlight() {
    int n = 0;
    for (AtomicInteger c : inFlight.values()) {
      n += c.get();
    }
    return n;
  }

  /** Whether the circuit breaker currently holds calls back from the cloud. */
  public boolean cloudCircuitOpen() {
    return circuit.isOpen();
  }

  @Override
  public CompletableFuture<InferenceResponse> infer(InferenceRequest request) {
    requireNonNull(request, "request");
    EdgeDeployment d = deployments.get(request.model());
    if (d == null) {
      return deployedButNotServed(request.model(), request);
    }
    long start = System.nanoTime();
    Flow flow = new Flow(d, request);
    CompletableFuture<InferenceResponse> answer;
    try {
      answer =
          edgeOnlyAsked(request)
              ? flow.onEdge()
              : switch (d.policy()) {
                case InferencePolicy.EdgeOnly e -> flow.onEdge();
                case InferencePolicy.CloudOnly c -> flow.cloudFirst();
                case InferencePolicy.Cascade c -> flow.cascade(c.measure(), c.threshold());
                case InferencePolicy.OffloadWhenBusy o ->
                    counter(d.model()).get() > o.queueLimit() ? flow.cloudFirst() : flow.onEdge();
              };
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    CompletableFuture<InferenceResponse> result =
        answer.whenComplete(
            (r, error) -> {
              Optional<ServedBy> by = Optional.empty();
              if (r != null && r.parameters().get(SERVED_BY) instanceof String s) {
                by = Optional.of(ServedBy.of(s));
              }
              listener.completed(
                  d, new InferenceOutcome(by, flow.escalated, System.nanoTime() - start));
            });
    // A caller that goes away cancels this future: the runtime's queued work must hear of it, or
    // it would run for nobody and count as in flight (and as load for OffloadWhenBusy) until then.
    result.whenComplete(
        (r, error) -> {
          if (result.isCancelled()) {
            flow.cancel();
          }
        });
    return result;
  }

  /**
   * The runtime's answer; its NOT_FOUND is UNAVAILABLE for a model deployed here but not served.
   */
  private CompletableFuture<InferenceResponse> deployedButNotServed(
      String model, InferenceRequest request) {
    CompletableFuture<InferenceResponse> f;
    try {
      f = edge.infer(request);
    } catch (StrataException e) {
      f = CompletableFuture.failedFuture(e);
    }
    return f.exceptionallyCompose(
        error -> CompletableFuture.failedFuture(unavailableIfDeployed(model, error)));
  }

  private Throwable unavailableIfDeployed(String model, Throwable error) {
    if (unwrap(error) instanceof StrataException s && s.code() == ErrorCode.NOT_FOUND) {
      Optional<String> why = notServed.apply(model);
      if (why.isPresent()) {
        return new StrataException(ErrorCode.UNAVAILABLE, why.get());
      }
    }
    return error;
  }

  private static boolean edgeOnlyAsked(InferenceRequest request) {
    Object asked = request.parameters().get(POLICY);
    if (asked == null) {
      return false;
    }
    if (!EDGE_ONLY.equals(asked)) {
      throw StrataException.invalid(
          "request parameter %s: '%s' (expected: %s, or none for the deployment's policy)",
          POLICY, asked, EDGE_ONLY);
    }
    return true;
  }

  private AtomicInteger counter(String model) {
    return inFlight.computeIfAbsent(model, m -> new AtomicInteger());
  }

  /** One request's way through its policy. */
  private final class Flow {
    final EdgeDeployment d;
    final InferenceRequest request;
    volatile boolean escalated;
    private final Set<CompletableFuture<InferenceResponse>> onEdge = ConcurrentHashMap.newKeySet();
    private volatile boolean cancelled;

    Flow(EdgeDeployment d, InferenceRequest request) {
      this.d = d;
      this.request = request;
    }

    CompletableFuture<InferenceResponse> onEdge() {
      return edge(request).thenApply(r -> mark(r, ServedBy.EDGE, Map.of()));
    }

    /** The cloud answers, or the edge when the cloud does not. */
    CompletableFuture<InferenceResponse> cloudFirst() {
      escalated = true;
      return askCloud()
          .handle(
              (r, error) -> {
                if (error == null) {
                  return CompletableFuture.completedFuture(mark(r, ServedBy.CLOUD, Map.of()));
                }
                Map<String, Object> why = Map.of(CLOUD_ERROR, code(error).name());
                return edge(request).thenApply(e -> mark(e, ServedBy.EDGE_FALLBACK, why));
              })
          .thenCompose(f -> f);
    }

    CompletableFuture<InferenceResponse> cascade(ConfidenceMeasure measure, double threshold) {
      Optional<ScoreSpec> spec = scoreSpec(request);
      if (spec.isEmpty()) {
        return onEdge();
      }
      ScorePlan plan = ScorePlan.of(request, spec.get());
      return edge(plan.edgeRequest())
          .thenCompose(
              raw -> {
                double score;
                InferenceResponse answer;
                try {
                  score = plan.score(raw, measure);
                  answer = plan.restore(raw);
                } catch (RuntimeException e) {
                  // an answer the cascade cannot score is still an answer
                  LOG.warn(
                      "deployment {}: cannot score the answer of model '{}': {}",
                      d.deployment(),
                      raw.model(),
                      e.getMessage());
                  return CompletableFuture.completedFuture(mark(raw, ServedBy.EDGE, Map.of()));
                }
                Map<String, Object> confidence = new HashMap<>(4);
                confidence.put(CONFIDENCE, score);
                confidence.put(CONFIDENCE_MEASURE, measure.name());
                if (!Confidence.escalates(measure, score, threshold)) {
                  return CompletableFuture.completedFuture(mark(answer, ServedBy.EDGE, confidence));
                }
                escalated = true;
                return askCloud()
                    .handle(
                        (cloudAnswer, error) -> {
                          if (error != null) {
                            confidence.put(CLOUD_ERROR, code(error).name());
                            return mark(answer, ServedBy.EDGE_FALLBACK, confidence);
                          }
                          listener.escalated(d, request, answer, cloudAnswer);
                          return mark(cloudAnswer, ServedBy.CLOUD, confidence);
                        });
              });
    }

    /** Cancels what runs on the edge for this request, and what it would run there later. */
    void cancel() {
      cancelled = true;
      onEdge.forEach(f -> f.cancel(false));
    }

    /** Runs on the edge, counting the request as in flight until it completes. */
    private CompletableFuture<InferenceResponse> edge(InferenceRequest r) {
      if (cancelled) {
        return CompletableFuture.failedFuture(new CancellationException("request cancelled"));
      }
      AtomicInteger c = counter(r.model());
      c.incrementAndGet();
      CompletableFuture<InferenceResponse> f;
      try {
        f = edge.infer(r);
      } catch (RuntimeException e) {
        c.decrementAndGet();
        throw e;
      }
      onEdge.add(f);
      if (cancelled) {
        f.cancel(false); // cancelled while it was being submitted
      }
      return f.whenComplete(
          (x, e) -> {
            onEdge.remove(f);
            c.decrementAndGet();
          });
    }

    private CompletableFuture<InferenceResponse> askCloud() {
      if (!circuit.allow()) {
        return CompletableFuture.failedFuture(
            StrataException.unavailable("the cloud is not answering (circuit open)"));
      }
      Duration timeout =
          request.timeout().filter(t -> t.compareTo(cloudTimeout) < 0).orElse(cloudTimeout);
      InferenceRequest toCloud =
          new InferenceRequest(
              d.cloudModel(),
              Optional.empty(),
              request.id(),
              request.inputs(),
              request.outputs(),
              request.parameters(),
              Optional.of(timeout));
      // Encoding the request and opening a connection must not hold the runtime's worker thread.
      return CompletableFuture.supplyAsync(() -> cloud.infer(toCloud), cloudCalls)
          .thenCompose(f -> f)
          // the client enforces the timeout too; this bounds any CloudInference
          .orTimeout(timeout.toNanos() + GRACE_NANOS, TimeUnit.NANOSECONDS)
          .whenComplete(
              (r, error) -> {
                if (error == null) {
                  circuit.succeeded();
                } else {
                  if (isOutage(code(error))) {
                    circuit.failed();
                  }
                  LOG.debug(
                      "cloud model '{}' did not answer for deployment {}: {}",
                      d.cloudModel(),
                      d.deployment(),
                      unwrap(error).getMessage());
                }
              });
    }

    private Optional<ScoreSpec> scoreSpec(InferenceRequest r) {
      String key = r.model() + "/" + r.version().orElse("");
      return scoreSpecs.computeIfAbsent(
          key,
          k -> {
            try {
              Optional<ScoreSpec> s = ScoreSpec.of(edge.modelMetadata(r.model(), r.version()));
              if (s.isEmpty()) {
                LOG.warn(
                    "deployment {}: model '{}' has no floating-point output to score; the cascade"
                        + " answers on the edge",
                    d.deployment(),
                    r.model());
              }
              return s;
            } catch (StrataException e) {
              return Optional.empty();
            }
          });
    }

    private InferenceResponse mark(InferenceResponse r, ServedBy by, Map<String, Object> extra) {
      Map<String, Object> params = new LinkedHashMap<>(r.parameters());
      params.putAll(extra);
      params.put(SERVED_BY, by.wireName());
      return new InferenceResponse(r.model(), r.version(), r.id(), r.outputs(), params);
    }
  }

  private static boolean isOutage(ErrorCode code) {
    return code == ErrorCode.UNAVAILABLE
        || code == ErrorCode.DEADLINE_EXCEEDED
        || code == ErrorCode.INTERNAL;
  }

  private static ErrorCode code(Throwable error) {
    Throwable t = unwrap(error);
    if (t instanceof TimeoutException) {
      return ErrorCode.DEADLINE_EXCEEDED;
    }
    return t instanceof StrataException s ? s.code() : ErrorCode.INTERNAL;
  }

  private static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  // ---- everything else is the edge runtime's ------------------------------------------------

  @Override
  public ServerMetadata serverMetadata() {
    return edge.serverMetadata();
  }

  @Override
  public boolean live() {
    return edge.live();
  }

  @Override
  public boolean ready() {
    return edge.ready();
  }

  @Override
  public ModelMetadata modelMetadata(String model, Optional<String> version) {
    try {
      return edge.modelMetadata(model, version);
    } catch (StrataException e) {
      if (unavailableIfDeployed(model, e) instanceof StrataException u && u != e) {
        throw u;
      }
      throw e;
    }
  }

  @Override
  public Triton.ModelConfig modelConfig(String model, Optional<String> version) {
    return edge.modelConfig(model, version);
  }

  @Override
  public boolean modelReady(String model, Optional<String> version) {
    return edge.modelReady(model, version);
  }

  @Override
  public List<ModelStatistics> statistics(Optional<String> model, Optional<String> version) {
    return edge.statistics(model, version);
  }

  @Override
  public List<RepositoryEntry> repositoryIndex(boolean readyOnly) {
    return edge.repositoryIndex(readyOnly);
  }

  @Override
  public void load(String model) {
    edge.load(model);
    scoreSpecs.clear();
  }

  @Override
  public void unload(String model) {
    edge.unload(model);
  }

  @Override
  public void shutdown(Duration timeout) {
    try {
      edge.shutdown(timeout);
    } finally {
      cloudCalls.shutdownNow();
    }
  }

  @Override
  public void close() {
    try {
      edge.close();
    } finally {
      cloudCalls.shutdownNow();
    }
  }
}
