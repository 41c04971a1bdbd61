package dev.strata.cli.demo;

import static java.util.Objects.requireNonNull;

import dev.strata.core.InferenceResponse;
import dev.strata.core.StrataException;
import dev.strata.edge.CollaborativeInferenceService;
import dev.strata.edge.ServedBy;
import dev.strata.protocol.client.StrataClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Sends images down the three paths and times each answer: the edge model alone (through an edge,
 * with the request parameter {@code strata.policy=edge-only}), the cloud model alone (the cloud's
 * own {@code /v2}) and the cascade (through an edge under the deployment's policy). Image {@code i}
 * goes through edge {@code i % edges}; {@code concurrency} clients run at once, each sending its
 * image's three requests one after the other.
 */
final class Streamer {
  private static final Map<String, Object> EDGE_ONLY =
      Map.of(CollaborativeInferenceService.POLICY, CollaborativeInferenceService.EDGE_ONLY);

  private final List<StrataClient> edges;
  private final StrataClient cloud;
  private final String edgeModel;
  private final String cloudModel;
  private final int concurrency;
  private final Duration timeout;
  private final LongSupplier nanoTime;

  Streamer(
      List<StrataClient> edges,
      StrataClient cloud,
      String edgeModel,
      String cloudModel,
      int concurrency,
      Duration timeout,
      LongSupplier nanoTime) {
    this.edges = List.copyOf(edges);
    this.cloud = requireNonNull(cloud, "cloud");
    this.edgeModel = requireNonNull(edgeModel, "edgeModel");
    this.cloudModel = requireNonNull(cloudModel, "cloudModel");
    this.timeout = requireNonNull(timeout, "timeout");
    this.nanoTime = requireNonNull(nanoTime, "nanoTime");
    if (this.edges.isEmpty()) {
      throw new IllegalArgumentException("edges: none (expected: at least one)");
    }
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency: " + concurrency + " (expected: >= 1)");
    }
    this.concurrency = concurrency;
  }

  /** Measures every image; {@code onEach} is told of each one done (from the client threads). */
  List<Observation> run(List<LabelledImage> images, Runnable onEach) throws InterruptedException {
    Observation[] results = new Observation[images.size()];
    AtomicInteger next = new AtomicInteger();
    int workers = Math.min(concurrency, Math.max(1, images.size()));
    ExecutorService pool =
        Executors.newFixedThreadPool(
            workers, Thread.ofPlatform().name("strata-demo-client-", 0).daemon(true).factory());
    try {
      List<Future<?>> running = new ArrayList<>(workers);
      for (int w = 0; w < workers; w++) {
        running.add(
            pool.submit(
                () -> {
                  for (int i; (i = next.getAndIncrement()) < images.size(); ) {
                    results[i] = observe(i, images.get(i));
                    onEach.run();
                  }
                  return null;
                }));
      }
      for (Future<?> f : running) {
        try {
          f.get();
        } catch (ExecutionException e) {
          next.set(images.size()); // the other clients stop after their current image
          throw e.getCause() instanceof RuntimeException r
              ? r
              : new IllegalStateException(e.getCause());
        }
      }
    } finally {
      pool.shutdownNow();
    }
    return Arrays.asList(results);
  }

  private Observation observe(int i, LabelledImage image) {
    int edge = i % edges.size();
    StrataClient via = edges.get(edge);
    try {
      Observation.Answer edgeOnly = ask(via, edgeModel, image, EDGE_ONLY).answer;
      Observation.Answer cloudOnly = ask(cloud, cloudModel, image, Map.of()).answer;
      Timed cascade = ask(via, edgeModel, image, Map.of());
      Object servedBy = cascade.response.parameters().get(CollaborativeInferenceService.SERVED_BY);
      if (!(servedBy instanceof String s)) {
        throw StrataException.unavailable(
            "the edge answered model %s without %s (is the cascade deployed there?)",
            edgeModel, CollaborativeInferenceService.SERVED_BY);
      }
      return new Observation(image.label(), edge, edgeOnly, cloudOnly, cascade.answer, servedBy(s));
    } catch (StrataException e) {
      throw new StrataException(
          e.code(), "test image " + image.index() + " via edge " + edge + ": " + e.getMessage(), e);
    }
  }

  private record Timed(InferenceResponse response, Observation.Answer answer) {}

  private Timed ask(
      StrataClient client, String model, LabelledImage image, Map<String, Object> parameters) {
    var request = Classifications.request(model, List.of(image), parameters, timeout);
    long start = nanoTime.getAsLong();
    InferenceResponse r = client.infer(request);
    long nanos = nanoTime.getAsLong() - start;
    return new Timed(r, new Observation.Answer(Classifications.classOf(r), nanos));
  }

  static ServedBy servedBy(String wire) {
    for (ServedBy b : ServedBy.values()) {
      if (b.wireName().equals(wire)) {
        return b;
      }
    }
    throw StrataException.invalid(
        "%s: '%s' (expected: edge, cloud or edge-fallback)",
        CollaborativeInferenceService.SERVED_BY, wire);
  }
}
