package dev.strata.registry;

import dev.strata.api.CreateEnrollmentTokenRequest;
import dev.strata.api.DeploymentSpec;
import dev.strata.api.Selector;
import dev.strata.api.Variant;
import dev.strata.control.DeploymentCounters;
import dev.strata.control.EnrollRequest;
import dev.strata.control.Enrollment;
import dev.strata.control.Health;
import dev.strata.control.Heartbeat;
import dev.strata.control.LatencyHistogram;
import dev.strata.control.LoadState;
import dev.strata.control.LoadedModel;
import dev.strata.control.TelemetryRecord;
import dev.strata.registry.auth.NodePrincipal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Measures the in-process cost of the fleet's control-plane operations on SQLite (not a test: run
 * it by hand, {@code java -cp ... dev.strata.registry.HeartbeatCost [nodes] [rounds] [threads]
 * [telemetry-threads]}). Each heartbeat goes through the node credential check, {@code
 * NodeApi.heartbeat} (record + canary listener + desired-state ETag) exactly as the REST layer will
 * call it. A last phase sends one heartbeat per node carrying one telemetry record, from as many
 * threads as the cloud's API has (default 16): those wait for their records' group commit.
 */
public final class HeartbeatCost {
  private HeartbeatCost() {}

  public static void main(String[] args) throws Exception {
    int nodes = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    int telemetryThreads = args.length > 3 ? Integer.parseInt(args[3]) : 16;
    Path dir = Files.createTempDirectory("strata-heartbeat-cost");
    try (Registry r = Registry.open(RegistryConfig.defaults(dir), Clock.systemUTC())) {
      Variant v = TestModels.newVersion(r.models(), "m", "int8", "weights");
      r.deployments()
          .apply("d", DeploymentSpec.edge("m", v.version(), "int8", Selector.parse("site=a")));

      long t0 = System.nanoTime();
      List<String> credentials = new ArrayList<>();
      for (int i = 0; i < nodes; i++) {
        String t =
            r.fleet()
                .createEnrollmentToken(CreateEnrollmentTokenRequest.withLabels(Map.of("site", "a")))
                .token();
        Enrollment e = r.nodes().enroll(new EnrollRequest(t, "node-" + i, Map.of()));
        credentials.add(e.credential());
      }
      double enrollS = (System.nanoTime() - t0) / 1e9;
      System.out.printf(
          "enrolled %d nodes in %.1f s (%.0f enrollments/s incl. token creation)%n",
          nodes, enrollS, nodes / enrollS);

      Heartbeat hb =
          new Heartbeat(
              "1.0",
              Health.HEALTHY,
              List.of(
                  new LoadedModel(
                      Optional.of("d"), 1, "m", 1, "int8", LoadState.READY, Optional.empty())),
              3,
              20,
              1 << 28,
              1 << 30,
              Map.of("d", new DeploymentCounters(1, 100, 0, 5)),
              Optional.empty());
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      long[] latencies = new long[nodes * rounds];
      // one warm-up round
      for (String c : credentials) {
        NodePrincipal p = r.authenticator().requireNode(c);
        r.nodes().heartbeat(p, hb);
      }
      t0 = System.nanoTime();
      List<Future<?>> fs = new ArrayList<>();
      for (int w = 0; w < threads; w++) {
        int worker = w;
        fs.add(
            pool.submit(
                () -> {
                  for (int round = 0; round < rounds; round++) {
                    for (int i = worker; i < nodes; i += threads) {
                      long s = System.nanoTime();
                      NodePrincipal p = r.authenticator().requireNode(credentials.get(i));
                      r.nodes().heartbeat(p, hb);
                      latencies[round * nodes + i] = System.nanoTime() - s;
                    }
                  }
                }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
      double hbS = (System.nanoTime() - t0) / 1e9;
      pool.shutdown();
      Arrays.sort(latencies);
      System.out.printf(
          "%d heartbeats on %d threads in %.2f s: %.0f heartbeats/s; latency p50 %.1f us, p99 %.1f us, max %.1f us%n",
          latencies.length,
          threads,
          hbS,
          latencies.length / hbS,
          latencies[latencies.length / 2] / 1e3,
          latencies[(int) (latencies.length * 0.99)] / 1e3,
          latencies[latencies.length - 1] / 1e3);

      t0 = System.nanoTime();
      int flushed = r.fleet().flush();
      System.out.printf(
          "flush of %d node heartbeats: %.1f ms%n", flushed, (System.nanoTime() - t0) / 1e6);

      ExecutorService tpool = Executors.newFixedThreadPool(telemetryThreads);
      long[] tl = new long[nodes];
      t0 = System.nanoTime();
      List<Future<?>> tfs = new ArrayList<>();
      for (int w = 0; w < telemetryThreads; w++) {
        int worker = w;
        tfs.add(
            tpool.submit(
                () -> {
                  for (int i = worker; i < nodes; i += telemetryThreads) {
                    long s = System.nanoTime();
                    NodePrincipal p = r.authenticator().requireNode(credentials.get(i));
                    r.nodes().heartbeat(p, withRecord(hb));
                    tl[i] = System.nanoTime() - s;
                  }
                }));
      }
      for (Future<?> f : tfs) {
        f.get();
      }
      double tS = (System.nanoTime() - t0) / 1e9;
      tpool.shutdown();
      Arrays.sort(tl);
      System.out.printf(
          "%d heartbeats with 1 telemetry record each on %d threads in %.2f s: %.0f/s; latency p50"
              + " %.1f ms, p99 %.1f ms%n",
          nodes,
          telemetryThreads,
          tS,
          nodes / tS,
          tl[nodes / 2] / 1e6,
          tl[(int) (nodes * 0.99)] / 1e6);

      NodePrincipal p = r.authenticator().requireNode(credentials.getFirst());
      String etag = r.nodes().desiredState(p, Optional.empty()).orElseThrow().etag();
      int polls = 100_000;
      t0 = System.nanoTime();
      for (int i = 0; i < polls; i++) {
        r.nodes()
            .desiredState(
                r.authenticator().requireNode(credentials.get(i % nodes)), Optional.of(etag));
      }
      System.out.printf(
          "desired-state polls (If-None-Match): %.0f /s%n",
          polls / ((System.nanoTime() - t0) / 1e9));
    }
  }

  private static Heartbeat withRecord(Heartbeat hb) {
    Instant end = Instant.now();
    List<Long> counts = new ArrayList<>();
    for (int i = 0; i <= LatencyHistogram.DEFAULT_BOUNDS_MICROS.size(); i++) {
      counts.add(i == 3 ? 100L : 0L);
    }
    TelemetryRecord record =
        new TelemetryRecord(
            1,
            "d",
            1,
            end.minusSeconds(10),
            end,
            100,
            0,
            5,
            0,
            new LatencyHistogram(LatencyHistogram.DEFAULT_BOUNDS_MICROS, counts, 80_000, 990));
    return new Heartbeat(
        hb.agentVersion(),
        hb.health(),
        hb.models(),
        hb.queueDepth(),
        hb.cpuPercent(),
        hb.memoryUsedBytes(),
        hb.memoryTotalBytes(),
        hb.deployments(),
        hb.desiredStateEtag(),
        List.of(record));
  }
}
