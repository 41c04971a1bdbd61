package dev.strata.edge;

import static dev.strata.edge.testing.TestModels.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.strata.api.DeploymentSpec;
import dev.strata.api.Selector;
import dev.strata.api.Variant;
import dev.strata.edge.testing.TestModels;
import dev.strata.protocol.client.StrataClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A new version deployed while clients send requests: every request is answered. */
class HotSwapIT {
  @TempDir Path dir;

  @Test
  void aNewVersionUnderLoadFailsNoRequest() throws Exception {
    try (LoopbackCloud cloud = LoopbackCloud.start(dir.resolve("cloud"), Map.of())) {
      Variant v1 = cloud.publish("mlp", "fp32", TestModels.mlp(1));
      cloud.deploy("det", DeploymentSpec.edge("mlp", v1.version(), "fp32", Selector.ALL));
      try (EdgeAgent agent =
              EdgeAgent.start(
                  TestModels.agent(cloud.url(), dir.resolve("edge"))
                      .enrollToken(cloud.enrollmentToken(Map.of()))
                      .build());
          StrataClient client = EdgeAgentIT.local(agent)) {
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> client.modelReady("mlp", java.util.Optional.empty()));

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong ok = new AtomicLong();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        Set<String> versions = ConcurrentHashMap.newKeySet();
        ExecutorService load = Executors.newFixedThreadPool(4);
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          int seed = t;
          workers.add(
              load.submit(
                  () -> {
                    int i = 0;
                    while (running.get()) {
                      try {
                        versions.add(client.infer(request("mlp", seed * 100_000L + i++)).version());
                        ok.incrementAndGet();
                      } catch (RuntimeException e) {
                        failures.add(e);
                      }
                    }
                  }));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> ok.get() > 200);
        Variant v2 = cloud.publish("mlp", "fp32", TestModels.mlp(2));
        cloud.deploy("det", DeploymentSpec.edge("mlp", v2.version(), "fp32", Selector.ALL));
        await().atMost(Duration.ofSeconds(30)).until(() -> versions.contains("2"));
        long atSwap = ok.get();
        await().atMost(Duration.ofSeconds(10)).until(() -> ok.get() > atSwap + 200);
        running.set(false);
        for (Future<?> w : workers) {
          w.get();
        }
        load.shutdown();

        assertThat(failures).isEmpty();
        assertThat(versions).containsExactlyInAnyOrder("1", "2");
        assertThat(ok.get()).isGreaterThan(400);
      }
    }
  }
}
