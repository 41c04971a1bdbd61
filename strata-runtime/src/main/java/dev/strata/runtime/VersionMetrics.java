package dev.strata.runtime;

import dev.strata.core.ErrorCode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntSupplier;

/**
 * The Micrometer meters of one version, resolved once when it loads so that recording costs no tag
 * building; removed from the registry when the version is unloaded. Names (Prometheus adds units
 * and suffixes): {@code strata.inference.request.success}, {@code strata.inference.request.failure}
 * (tagged {@code reason}), {@code strata.inference.request.duration}, {@code
 * strata.inference.queue.duration}, {@code strata.inference.compute.duration} (timers with
 * percentile histograms), {@code strata.inference.batch.size} (histogram), {@code
 * strata.inference.queue.pending} (gauge) and {@code strata.model.load.duration}; all tagged {@code
 * model} and {@code version}.
 */
final class VersionMetrics implements AutoCloseable {
  static final String SUCCESS = "strata.inference.request.success";
  static final String FAILURE = "strata.inference.request.failure";
  static final String REQUEST = "strata.inference.request.duration";
  static final String QUEUE = "strata.inference.queue.duration";
  static final String COMPUTE = "strata.inference.compute.duration";
  static final String BATCH_SIZE = "strata.inference.batch.size";
  static final String PENDING = "strata.inference.queue.pending";
  static final String LOAD = "strata.model.load.duration";

  private final MeterRegistry registry;
  private final Tags tags;
  private final List<Meter> meters = new CopyOnWriteArrayList<>();
  private final AtomicReferenceArray<Counter> failures =
      new AtomicReferenceArray<>(ErrorCode.values().length);
  final Counter success;
  final Timer request;
  final Timer queue;
  final Timer compute;
  final DistributionSummary batchSize;
  private volatile IntSupplier pending = () -> 0;

  VersionMetrics(MeterRegistry registry, String model, String version, int maxRows) {
    this.registry = registry;
    this.tags = Tags.of("model", model, "version", version);
    this.success =
        add(
            Counter.builder(SUCCESS)
                .description("Inference requests that succeeded")
                .tags(tags)
                .register(registry));
    this.request =
        add(timer(REQUEST, "Request duration, from arrival to response", Duration.ofNanos(10_000)));
    this.queue = add(timer(QUEUE, "Time requests wait in the queue", Duration.ofNanos(1_000)));
    this.compute =
        add(timer(COMPUTE, "Duration of one model execution (a batch)", Duration.ofNanos(10_000)));
    this.batchSize =
        add(
            DistributionSummary.builder(BATCH_SIZE)
                .description("Rows per model execution")
                .tags(tags)
                .publishPercentileHistogram()
                .minimumExpectedValue(1.0)
                .maximumExpectedValue((double) Math.max(1, maxRows))
                .register(registry));
    add(
        Gauge.builder(PENDING, this, VersionMetrics::pendingNow)
            .description("Requests waiting in the queue")
            .tags(tags)
            .strongReference(true)
            .register(registry));
  }

  /** Points the pending-queue gauge at a (new) queue. */
  void pending(IntSupplier size) {
    this.pending = size;
  }

  private double pendingNow() {
    return pending.getAsInt();
  }

  void loaded(long nanos) {
    Timer t =
        add(
            Timer.builder(LOAD)
                .description("Time to load and warm up a model version")
                .tags(tags)
                .register(registry));
    t.record(nanos, TimeUnit.NANOSECONDS);
  }

  void failure(ErrorCode code) {
    Counter c = failures.get(code.ordinal());
    if (c == null) {
      c =
          add(
              Counter.builder(FAILURE)
                  .description("Inference requests that failed, by reason")
                  .tags(tags)
                  .tag("reason", code.name())
                  .register(registry));
      failures.set(code.ordinal(), c);
    }
    c.increment();
  }

  private Timer timer(String name, String description, Duration min) {
    return Timer.builder(name)
        .description(description)
        .tags(tags)
        .publishPercentileHistogram()
        .minimumExpectedValue(min)
        .maximumExpectedValue(Duration.ofSeconds(60))
        .register(registry);
  }

  private <M extends Meter> M add(M meter) {
    meters.add(meter);
    return meter;
  }

  @Override
  public void close() {
    for (Meter m : meters) {
      registry.remove(m);
    }
    meters.clear();
  }
}
