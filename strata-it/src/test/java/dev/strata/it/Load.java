package dev.strata.it;

import dev.strata.core.InferenceResponse;
import dev.strata.protocol.client.StrataClient;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Clients hammering a model, each on its own thread, back to back: every answer is counted by the
 * version and the {@code strata.served_by} that gave it, every failure is kept with its message.
 */
final class Load implements AutoCloseable {
  private final String model;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong sequence = new AtomicLong();
  private final LongAdder ok = new LongAdder();
  private final Map<String, LongAdder> versions = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> servedBy = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
  private final LongAdder backwards = new LongAdder();
  private final List<Thread> threads;

  private Load(String model, List<StrataClient> clients) {
    this.model = model;
    this.threads =
        clients.stream()
            .map(c -> Thread.ofPlatform().daemon().name("load-" + model).start(() -> run(c)))
            .toList();
  }

  /** Starts one thread per client (the same client may be given several times). */
  static Load start(String model, List<StrataClient> clients) {
    return new Load(model, clients);
  }

  private void run(StrataClient client) {
    Set<String> left = new HashSet<>();
    String last = null;
    while (running.get()) {
      long n = sequence.incrementAndGet();
      try {
        InferenceResponse r = client.infer(Models.request(model, n));
        Models.probabilities(r);
        if (last != null && !last.equals(r.version())) {
          left.add(last);
          if (left.contains(r.version())) {
            backwards.increment();
          }
        }
        last = r.version();
        versions.computeIfAbsent(r.version(), v -> new LongAdder()).increment();
        Object by = r.parameters().get(Models.SERVED_BY);
        servedBy.computeIfAbsent(String.valueOf(by), v -> new LongAdder()).increment();
        ok.increment();
      } catch (RuntimeException | AssertionError e) {
        if (running.get()) {
          failures.add("request " + n + ": " + e);
        }
      }
    }
  }

  long ok() {
    return ok.sum();
  }

  /** Answers given by {@code version}. */
  long answeredBy(String version) {
    LongAdder a = versions.get(version);
    return a == null ? 0 : a.sum();
  }

  /**
   * Answers from a version that the same client had already seen replaced by another: after a
   * switch, a client should never be sent back.
   */
  long backwards() {
    return backwards.sum();
  }

  /** Answers per version, e.g. {@code {1=812, 2=344}}. */
  Map<String, Long> versions() {
    return snapshot(versions);
  }

  /** Answers per {@code strata.served_by}. */
  Map<String, Long> servedBy() {
    return snapshot(servedBy);
  }

  /** The failed requests, with their errors. */
  List<String> failures() {
    return List.copyOf(failures);
  }

  private static Map<String, Long> snapshot(Map<String, LongAdder> counts) {
    Map<String, Long> out = new TreeMap<>();
    counts.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** Stops the clients and waits for their last requests. */
  @Override
  public void close() {
    running.set(false);
    try {
      for (Thread t : threads) {
        t.join(Http.CALL_TIMEOUT.toMillis() * 2);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return String.format(
        "load on %s: %d ok %s %s, %d failed%s",
        model,
        ok(),
        versions(),
        servedBy(),
        failures.size(),
        failures.isEmpty() ? "" : " (first: " + failures.peek() + ")");
  }
}
