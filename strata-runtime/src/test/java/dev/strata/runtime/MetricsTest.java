package dev.strata.runtime;

import static dev.strata.runtime.Failures.failure;
import static dev.strata.runtime.TestRepo.request;
import static dev.strata.runtime.TestRepo.rows;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.core.ModelStatistics;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Statistics (the OIP extension) and Micrometer meters, per version. */
class MetricsTest {
  @TempDir Path dir;

  @Test
  void countsDurationsAndHistogramsPerVersion() throws Exception {
    TestRepo repo = new TestRepo(dir).mlp("mlp", 1, 1);
    Clock clock = Clock.fixed(Instant.parse("2030-01-02T03:04:05Z"), ZoneOffset.UTC);
    try (ModelManager runtime = repo.start(b -> b.clock(clock))) {
      for (int i = 0; i < 3; i++) {
        runtime.infer(request("mlp", rows(2, i))).get();
      }
      failure(runtime.infer(request("mlp", rows(1, 0).withName("wrong"))));

      ModelStatistics s = runtime.statistics(Optional.empty(), Optional.empty()).getFirst();
      assertThat(s.name()).isEqualTo("mlp");
      assertThat(s.version()).isEqualTo("1");
      assertThat(s.lastInference()).isEqualTo(clock.millis());
      assertThat(s.inferenceCount()).isEqualTo(6);
      assertThat(s.executionCount()).isEqualTo(3);
      assertThat(s.inferenceStats().success().count()).isEqualTo(3);
      assertThat(s.inferenceStats().success().ns()).isPositive();
      assertThat(s.inferenceStats().fail().count()).isEqualTo(1);
      assertThat(s.inferenceStats().queue().count()).isEqualTo(3);
      assertThat(s.inferenceStats().computeInput().count()).isEqualTo(3);
      assertThat(s.inferenceStats().computeInfer().ns()).isPositive();
      assertThat(s.inferenceStats().computeOutput().count()).isEqualTo(3);
      assertThat(s.batchStats())
          .singleElement()
          .satisfies(
              b -> {
                assertThat(b.batchSize()).isEqualTo(2);
                assertThat(b.computeInfer().count()).isEqualTo(3);
              });

      var r = repo.registry;
      assertThat(
              r.get(VersionMetrics.SUCCESS).tags("model", "mlp", "version", "1").counter().count())
          .isEqualTo(3);
      assertThat(
              r.get(VersionMetrics.FAILURE)
                  .tags("model", "mlp", "version", "1", "reason", "INVALID_ARGUMENT")
                  .counter()
                  .count())
          .isEqualTo(1);
      Timer request = r.get(VersionMetrics.REQUEST).tags("model", "mlp").timer();
      assertThat(request.count()).isEqualTo(3);
      assertThat(r.get(VersionMetrics.QUEUE).tags("model", "mlp").timer().count()).isEqualTo(3);
      assertThat(r.get(VersionMetrics.COMPUTE).tags("model", "mlp").timer().count()).isEqualTo(3);
      assertThat(r.get(VersionMetrics.BATCH_SIZE).tags("model", "mlp").summary().totalAmount())
          .isEqualTo(6);
      assertThat(r.get(VersionMetrics.PENDING).tags("model", "mlp").gauge().value()).isZero();
      assertThat(r.get(VersionMetrics.LOAD).tags("model", "mlp").timer().count()).isEqualTo(1);
    }
  }

  @Test
  void aPrometheusScrapeHasTheHistograms() throws Exception {
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    TestRepo repo = new TestRepo(dir).mlp("mlp", 1, 1);
    try (ModelManager runtime = repo.start(b -> b.meterRegistry(prometheus))) {
      runtime.infer(request("mlp", rows(2, 0))).get();
      String scrape = prometheus.scrape();
      assertThat(scrape)
          .contains(
              "strata_inference_request_duration_seconds_bucket{model=\"mlp\",version=\"1\",le=",
              "strata_inference_queue_duration_seconds_bucket{",
              "strata_inference_compute_duration_seconds_bucket{",
              "strata_inference_batch_size_bucket{",
              "strata_inference_request_success_total{model=\"mlp\",version=\"1\"} 1.0",
              "strata_inference_queue_pending{model=\"mlp\",version=\"1\"} 0.0",
              "strata_model_load_duration_seconds_count{model=\"mlp\",version=\"1\"} 1");
    }
  }
}
