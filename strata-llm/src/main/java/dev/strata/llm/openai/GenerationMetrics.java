package dev.strata.llm.openai;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The meters of generation, per model and version: time to first token, inter-token latency and
 * tokens per second as histograms, prompt and completion token counters, and the queue depth; and,
 * per model, the answers a collaborative policy routed, by who served them.
 */
final class GenerationMetrics {
  private final MeterRegistry registry;
  private final Map<String, Meters> meters = new ConcurrentHashMap<>();

  GenerationMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  record Meters(
      Timer timeToFirstToken,
      Timer interTokenLatency,
      DistributionSummary tokensPerSecond,
      Counter promptTokens,
      Counter completionTokens) {}

  /** Counts an answer a model's policy routed, by who served it (edge, cloud, edge-fallback). */
  void served(String model, String servedBy) {
    Counter.builder("strata_llm_requests_routed")
        .description("generation requests answered under a collaborative policy, by who served")
        .tags("model", model, "served_by", servedBy)
        .register(registry)
        .increment();
  }

  Meters of(String model, long version, Supplier<Number> queueDepth) {
    String v = Long.toString(version);
    return meters.computeIfAbsent(
        model + "/" + v,
        k -> {
          Gauge.builder("strata_llm_queue_depth", queueDepth)
              .description("generations waiting for a free sequence")
              .tags("model", model, "version", v)
              .register(registry);
          return new Meters(
              Timer.builder("strata_llm_time_to_first_token")
                  .tags("model", model, "version", v)
                  .publishPercentileHistogram()
                  .maximumExpectedValue(Duration.ofMinutes(2))
                  .register(registry),
              Timer.builder("strata_llm_inter_token_latency")
                  .tags("model", model, "version", v)
                  .publishPercentileHistogram()
                  .maximumExpectedValue(Duration.ofSeconds(10))
                  .register(registry),
              DistributionSummary.builder("strata_llm_tokens_per_second")
                  .tags("model", model, "version", v)
                  .publishPercentileHistogram()
                  .register(registry),
              Counter.builder("strata_llm_prompt_tokens")
                  .tags("model", model, "version", v)
                  .register(registry),
              Counter.builder("strata_llm_completion_tokens")
                  .tags("model", model, "version", v)
                  .register(registry));
        });
  }
}
