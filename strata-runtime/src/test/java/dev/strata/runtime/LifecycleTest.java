package dev.strata.runtime;

import static dev.strata.runtime.Failures.failure;
import static dev.strata.runtime.TestRepo.request;
import static dev.strata.runtime.TestRepo.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.ErrorCode;
import dev.strata.core.InferenceResponse;
import dev.strata.core.RepositoryEntry;
import dev.strata.core.StrataException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading, reloading, unloading and shutting down, with requests in flight. */
class LifecycleTest {
  @TempDir Path dir;

  private static List<String> serving(ModelManager runtime, String model) {
    return runtime.modelMetadata(model, Optional.empty()).versions();
  }

  private static String answeredBy(ModelManager runtime, String model, Optional<String> version)
      throws Exception {
    return runtime.infer(request(model, version, "", List.of(), rows(1, 0))).get().version();
  }

  @Test
  void versionPoliciesSelectVersionsAndRequestsWithoutVersionGoToTheNewest() throws Exception {
    TestRepo repo =
        new TestRepo(dir)
            .mlp("latest", 1, 1)
            .mlp("latest", 2, 2)
            .mlp("latest", 3, 3)
            .mlp("two", 1, 1)
            .mlp("two", 2, 2)
            .mlp("two", 3, 3)
            .config("two", "{\"version_policy\": {\"latest\": {\"num_versions\": 2}}}")
            .mlp("specific", 1, 1)
            .mlp("specific", 2, 2)
            .mlp("specific", 3, 3)
            .config("specific", "{\"version_policy\": {\"specific\": {\"versions\": [1, 3, 7]}}}")
            .mlp("all", 1, 1)
            .mlp("all", 2, 2)
            .config("all", "{\"version_policy\": {\"all\": {}}}");
    Files.createDirectories(dir.resolve("all/3")); // no model.onnx: not a version
    Files.createDirectories(dir.resolve("all/notes"));
    try (ModelManager runtime = repo.start()) {
      assertThat(serving(runtime, "latest")).containsExactly("3");
      assertThat(serving(runtime, "two")).containsExactly("2", "3");
      assertThat(serving(runtime, "specific")).containsExactly("1", "3");
      assertThat(serving(runtime, "all")).containsExactly("1", "2");
      assertThat(answeredBy(runtime, "specific", Optional.empty())).isEqualTo("3");
      assertThat(answeredBy(runtime, "specific", Optional.of("1"))).isEqualTo("1");
      assertThat(
              failure(
                      runtime.infer(
                          request("specific", Optional.of("2"), "", List.of(), rows(1, 0))))
                  .code())
          .isEqualTo(ErrorCode.NOT_FOUND);
      assertThat(runtime.repositoryIndex(true))
          .extracting(e -> e.name() + "/" + e.version())
          .containsExactly(
              "all/1", "all/2", "latest/3", "specific/1", "specific/3", "two/2", "two/3");
    }
  }

  @Test
  void hotSwapUnderLoadFailsNoRequestAndClosesTheOldSessions() throws Exception {
    TestRepo repo =
        new TestRepo(dir)
            .mlp("mlp", 1, 1)
            .config("mlp", "{\"dynamic_batching\": {\"max_queue_delay_us\": 2000}}");
    try (ModelManager runtime = repo.start()) {
      ModelVersion v1 = runtime.servingVersions("mlp").getFirst();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger ok = new AtomicInteger();
      List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
      ConcurrentHashMap<String, AtomicInteger> byVersion = new ConcurrentHashMap<>();
      List<Thread> clients = new ArrayList<>();
      for (int c = 0; c < 4; c++) {
        int client = c;
        clients.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      while (!stop.get()) {
                        // several in flight per client, so requests sit in the queue at the switch
                        List<CompletableFuture<InferenceResponse>> batch = new ArrayList<>();
                        for (int i = 0; i < 4; i++) {
                          batch.add(runtime.infer(request("mlp", rows(1 + i % 2, client))));
                        }
                        for (CompletableFuture<InferenceResponse> f : batch) {
                          try {
                            String v = f.get().version();
                            byVersion
                                .computeIfAbsent(v, k -> new AtomicInteger())
                                .incrementAndGet();
                            ok.incrementAndGet();
                          } catch (Exception e) {
                            failures.add(e);
                          }
                        }
                      }
                    }));
      }
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> ok.get() > 200);
      repo.mlp("mlp", 2, 2);
      runtime.load("mlp");
      int afterSwitch = ok.get();
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> ok.get() > afterSwitch + 200);
      // a changed config replaces version 2 by a new version 2, also without a failure
      ModelVersion v2 = runtime.servingVersions("mlp").getFirst();
      repo.config("mlp", "{\"dynamic_batching\": {\"max_queue_delay_us\": 1000}}");
      runtime.load("mlp");
      int afterReload = ok.get();
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> ok.get() > afterReload + 200);
      stop.set(true);
      for (Thread t : clients) {
        t.join();
      }

      assertThat(failures).isEmpty();
      assertThat(byVersion).containsKeys("1", "2");
      assertThat(serving(runtime, "mlp")).containsExactly("2");
      assertThat(v1.instances()).allSatisfy(i -> assertThat(i.closed()).isTrue());
      assertThat(v2.instances()).allSatisfy(i -> assertThat(i.closed()).isTrue());
      assertThat(runtime.servingVersions("mlp").getFirst()).isNotSameAs(v2);
      assertThat(answeredBy(runtime, "mlp", Optional.empty())).isEqualTo("2");
    }
  }

  @Test
  void aBadNewVersionOrConfigLeavesTheServingVersionsAsTheyAre() throws Exception {
    TestRepo repo = new TestRepo(dir).mlp("mlp", 1, 1);
    try (ModelManager runtime = repo.start()) {
      Files.createDirectories(dir.resolve("mlp/2"));
      Files.writeString(dir.resolve("mlp/2/model.onnx"), "not an onnx model");

      assertThatThrownBy(() -> runtime.load("mlp"))
          .isInstanceOfSatisfying(
              StrataException.class,
              e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                assertThat(e.getMessage())
                    .contains("version 2 failed to load", "model.onnx", "([1]) are unchanged");
              });
      assertThat(answeredBy(runtime, "mlp", Optional.empty())).isEqualTo("1");
      assertThat(runtime.repositoryIndex(false))
          .extracting(RepositoryEntry::version, RepositoryEntry::state)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("1", "READY"),
              org.assertj.core.groups.Tuple.tuple("2", "UNAVAILABLE"));

      repo.config("mlp", "{\"max_batch_sise\": 4}");
      assertThatThrownBy(() -> runtime.load("mlp"))
          .isInstanceOfSatisfying(
              StrataException.class,
              e ->
                  assertThat(e.getMessage())
                      .contains("config.json", "unknown field 'max_batch_sise'"));
      assertThat(answeredBy(runtime, "mlp", Optional.empty())).isEqualTo("1");
    }
  }

  @Test
  void reloadKeepsUnchangedVersionsAndReplacesChangedOnes() throws Exception {
    TestRepo repo = new TestRepo(dir).mlp("mlp", 1, 1);
    try (ModelManager runtime = repo.start()) {
      ModelVersion before = runtime.servingVersions("mlp").getFirst();
      runtime.load("mlp");
      assertThat(runtime.servingVersions("mlp").getFirst()).isSameAs(before);

      repo.config("mlp", "{\"max_batch_size\": 4}");
      runtime.load("mlp");
      ModelVersion after = runtime.servingVersions("mlp").getFirst();
      assertThat(after).isNotSameAs(before);
      assertThat(before.instances()).allSatisfy(i -> assertThat(i.closed()).isTrue());
      assertThat(runtime.modelMetadata("mlp", Optional.empty()).parameters())
          .containsEntry("max_batch_size", 4);
      runtime.infer(request("mlp", rows(2, 0))).get();
      // the meters passed from the old version to its replacement and still count
      assertThat(
              repo.registry
                  .get(VersionMetrics.SUCCESS)
                  .tag("model", "mlp")
                  .tag("version", "1")
                  .counter()
                  .count())
          .isEqualTo(1);
    }
  }

  @Test
  void unloadDrainsClosesSessionsAndRemovesMeters() throws Exception {
    TestRepo repo = new TestRepo(dir).mlp("mlp", 1, 1).mlp("other", 1, 2);
    try (ModelManager runtime = repo.start()) {
      runtime.infer(request("mlp", rows(1, 0))).get();
      List<ModelVersion> versions = runtime.servingVersions("mlp");
      assertThat(repo.registry.find(VersionMetrics.REQUEST).tag("model", "mlp").timer())
          .isNotNull();

      runtime.unload("mlp");

      assertThat(versions.getFirst().instances()).allSatisfy(i -> assertThat(i.closed()).isTrue());
      assertThat(runtime.modelReady("mlp", Optional.empty())).isFalse();
      assertThat(failure(runtime.infer(request("mlp", rows(1, 0)))).code())
          .isEqualTo(ErrorCode.UNAVAILABLE);
      assertThat(repo.registry.find(VersionMetrics.REQUEST).tag("model", "mlp").meters()).isEmpty();
      assertThat(repo.registry.getMeters()).noneMatch(m -> "mlp".equals(m.getId().getTag("model")));
      assertThat(runtime.repositoryIndex(false))
          .contains(new RepositoryEntry("mlp", "", "UNAVAILABLE", "unloaded"));
      assertThat(runtime.ready()).isTrue();
      assertThat(answeredBy(runtime, "other", Optional.empty())).isEqualTo("1");

      runtime.load("mlp");
      assertThat(answeredBy(runtime, "mlp", Optional.empty())).isEqualTo("1");
    }
  }

  @Test
  void unloadWithRequestsQueuedLetsThemFinish() throws Exception {
    TestRepo repo =
        new TestRepo(dir)
            .mlp("mlp", 1, 1)
            .config("mlp", "{\"dynamic_batching\": {\"max_queue_delay_us\": 30000000}}");
    try (ModelManager runtime = repo.start()) {
      CompletableFuture<InferenceResponse> queued = runtime.infer(request("mlp", rows(1, 0)));
      runtime.unload("mlp"); // would wait 30 s for the batch to fill; unloading runs it now
      assertThat(queued.get().version()).isEqualTo("1");
    }
  }

  @Test
  void modelsLoadAndFailIndependentlyAtStart() throws Exception {
    TestRepo repo = new TestRepo(dir).mlp("good", 1, 1);
    Files.createDirectories(dir.resolve("broken/1"));
    Files.writeString(dir.resolve("broken/1/model.onnx"), "garbage");
    repo.config("badconfig", "{\"max_batch_size\": -2}");
    repo.mlp("badconfig", 1, 1);
    try (ModelManager runtime = repo.start()) {
      assertThat(runtime.ready()).isTrue();
      assertThat(answeredBy(runtime, "good", Optional.empty())).isEqualTo("1");
      StrataException e = failure(runtime.infer(request("broken", rows(1, 0))));
      assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
      assertThat(e.getMessage())
          .contains("model 'broken' has no ready version", "not an ONNX model");
      assertThat(runtime.repositoryIndex(false))
          .filteredOn(r -> r.name().equals("badconfig"))
          .singleElement()
          .satisfies(r -> assertThat(r.reason()).contains("max_batch_size: -2 (expected: >= 0)"));
    }
    try (ModelManager strict = repo.start(b -> b.strictReadiness(true))) {
      assertThat(strict.startup()).isDone();
      assertThat(strict.ready()).isFalse();
    }
  }

  @Test
  void loadFindsNewModelsAndRejectsUnknownOnes() throws Exception {
    TestRepo repo = new TestRepo(dir).mlp("first", 1, 1);
    try (ModelManager runtime = repo.start()) {
      assertThat(runtime.repositoryIndex(false))
          .extracting(RepositoryEntry::name)
          .containsExactly("first");
      repo.mlp("second", 4, 2);
      assertThat(runtime.repositoryIndex(false))
          .contains(new RepositoryEntry("second", "", "UNAVAILABLE", "not loaded"));
      runtime.load("second");
      assertThat(answeredBy(runtime, "second", Optional.empty())).isEqualTo("4");
      for (String name : List.of("missing", "../first", "")) {
        assertThatThrownBy(() -> runtime.load(name))
            .isInstanceOfSatisfying(
                StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
      }
      assertThatThrownBy(() -> runtime.unload("missing"))
          .isInstanceOfSatisfying(
              StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
    }
  }

  @Test
  void shutdownWithoutTimeEndsEveryRequestAndClosesEverything() throws Exception {
    TestRepo repo =
        new TestRepo(dir)
            .mlp("mlp", 1, 1)
            .config("mlp", "{\"dynamic_batching\": {\"max_queue_delay_us\": 30000000}}");
    ModelManager runtime = repo.start();
    List<ModelVersion> versions = runtime.servingVersions("mlp");
    List<CompletableFuture<InferenceResponse>> futures = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      futures.add(runtime.infer(request("mlp", rows(1, i))));
    }
    runtime.shutdown(Duration.ZERO);
    for (CompletableFuture<InferenceResponse> f : futures) {
      // each either ran before the deadline check or failed UNAVAILABLE; none is left hanging
      AtomicReference<Throwable> error = new AtomicReference<>();
      f.handle(
              (r, t) -> {
                error.set(t);
                return null;
              })
          .get(10, java.util.concurrent.TimeUnit.SECONDS);
      if (error.get() != null) {
        assertThat(error.get())
            .isInstanceOfSatisfying(
                StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
      }
    }
    assertThat(versions.getFirst().instances()).allSatisfy(i -> assertThat(i.closed()).isTrue());
    assertThat(runtime.live()).isFalse();
    assertThatThrownBy(() -> runtime.load("mlp"))
        .isInstanceOfSatisfying(
            StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
  }
}
