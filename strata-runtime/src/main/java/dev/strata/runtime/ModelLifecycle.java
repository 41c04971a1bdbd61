package dev.strata.runtime;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads, reloads and unloads the versions of one model at a time (under the model's lock), and
 * retires versions without failing a request:
 *
 * <ol>
 *   <li>the new versions load and warm up while the old ones serve;
 *   <li>the new routing is published in one volatile write (the atomic switch);
 *   <li>only then do retired versions close their queues, so a request that still reached one sees
 *       it closed and is routed again through the new routing; what was queued runs;
 *   <li>once their workers have drained and left, their sessions close.
 * </ol>
 */
final class ModelLifecycle {
  private static final Logger LOG = LoggerFactory.getLogger(ModelLifecycle.class);

  private final ModelRepository repository;
  private final ModelLoader loader;
  private final Duration drainTimeout;
  private final BooleanSupplier accepting;

  ModelLifecycle(
      ModelRepository repository,
      ModelLoader loader,
      Duration drainTimeout,
      BooleanSupplier accepting) {
    this.repository = repository;
    this.loader = loader;
    this.drainTimeout = drainTimeout;
    this.accepting = accepting;
  }

  /**
   * Rescans the model's directory and config and brings the served versions in line with them. If
   * every selected version loads, the switch happens; if one fails while older versions serve,
   * nothing changes; on a first load the versions that loaded serve. Either way a failure is
   * thrown.
   */
  void load(ModelEntry entry) {
    entry.lock.lock();
    try {
      loadLocked(entry);
    } finally {
      entry.lock.unlock();
    }
  }

  private void loadLocked(ModelEntry entry) {
    requireAccepting();
    String name = entry.name;
    Path dir = repository.modelDir(name);
    Routing old = entry.routing;
    ModelConfig config;
    SortedSet<Long> selected;
    try {
      config = repository.config(name, dir);
      SortedSet<Long> available = repository.versions(dir);
      selected = config.versionPolicy().select(available);
      if (available.isEmpty() && Files.isRegularFile(dir.resolve(ModelRepository.MODEL_FILE))) {
        throw StrataException.invalid(
            "model '%s': %s is not in a version directory; put it in %s (each version of a model"
                + " lives in a numbered directory)",
            name,
            dir.resolve(ModelRepository.MODEL_FILE),
            dir.resolve("1").resolve(ModelRepository.MODEL_FILE));
      }
      if (selected.isEmpty()) {
        throw StrataException.invalid(
            "model '%s': no version to serve (version directories with %s: %s; policy %s)",
            name, ModelRepository.MODEL_FILE, available, config.versionPolicy());
      }
    } catch (StrataException e) {
      if (old.isEmpty()) {
        entry.reason = e.getMessage();
      }
      throw e;
    }
    TreeMap<Long, ModelVersion> next = new TreeMap<>();
    List<ModelVersion> fresh = new ArrayList<>();
    Map<Long, String> failures = new TreeMap<>();
    ErrorCode failureCode = ErrorCode.INVALID_ARGUMENT;
    for (long number : selected) {
      ModelRepository.Fingerprint fingerprint = repository.fingerprint(dir, number, config);
      ModelVersion current = old.get(number);
      if (current != null && current.fingerprint.equals(fingerprint)) {
        next.put(number, current);
        continue;
      }
      if (current == null) {
        entry.state(number, ModelEntry.LOADING, "");
      }
      try {
        ModelVersion loaded =
            loader.load(
                name,
                dir,
                number,
                config,
                fingerprint,
                Optional.ofNullable(current).map(c -> c.metrics));
        fresh.add(loaded);
        next.put(number, loaded);
      } catch (StrataException e) {
        failures.put(number, e.getMessage());
        failureCode = e.code() == ErrorCode.INTERNAL ? ErrorCode.INTERNAL : failureCode;
        if (current == null) {
          entry.state(number, ModelEntry.UNAVAILABLE, e.getMessage());
        }
      }
    }
    if (!accepting.getAsBoolean() || (!failures.isEmpty() && !old.isEmpty())) {
      for (ModelVersion v : fresh) {
        v.close(); // never started; its meters stay with the version still serving
        if (old.get(v.number) == null) {
          entry.forget(v.number);
        }
      }
      requireAccepting();
      throw new StrataException(
          failureCode,
          String.format(
              "model '%s': %s; the versions being served (%s) are unchanged",
              name, describe(failures), old.versions.keySet()));
    }
    for (ModelVersion v : fresh) {
      v.start();
    }
    entry.routing = new Routing(next);
    entry.reason = next.isEmpty() ? describe(failures) : "";
    List<ModelVersion> retiring = new ArrayList<>();
    for (ModelVersion v : old.versions.values()) {
      ModelVersion successor = next.get(v.number);
      if (successor != v) {
        retiring.add(v);
        if (successor != null) {
          v.ownsMetrics(false);
          successor.ownsMetrics(true);
        } else {
          entry.state(v.number, ModelEntry.UNLOADING, "");
        }
      }
    }
    for (ModelVersion v : next.values()) {
      entry.state(
          v.number, ModelEntry.READY, v.batchingOff.map(r -> "batching off: " + r).orElse(""));
    }
    retire(retiring, System.nanoTime() + drainTimeout.toNanos(), "it was replaced");
    for (ModelVersion v : retiring) {
      if (!next.containsKey(v.number)) {
        entry.forget(v.number);
      }
    }
    forgetUnselected(entry, next, failures);
    if (!failures.isEmpty()) {
      throw new StrataException(
          failureCode,
          String.format(
              "model '%s': %s; %s",
              name,
              describe(failures),
              next.isEmpty() ? "no version serves" : "serving versions " + next.keySet()));
    }
  }

  /** Drops states of versions neither served nor just failed (e.g. an old failure). */
  private static void forgetUnselected(
      ModelEntry entry, Map<Long, ModelVersion> next, Map<Long, String> failures) {
    for (var e : entry.index(false)) {
      if (e.version().isEmpty()) {
        continue;
      }
      long v = Long.parseLong(e.version());
      if (!next.containsKey(v) && !failures.containsKey(v)) {
        entry.forget(v);
      }
    }
  }

  /** Stops serving every version of the model, drains and closes them. */
  void unload(ModelEntry entry, String why) {
    entry.lock.lock();
    try {
      Routing old = entry.routing;
      entry.routing = Routing.EMPTY;
      entry.reason = why;
      for (ModelVersion v : old.versions.values()) {
        entry.state(v.number, ModelEntry.UNLOADING, "");
      }
      retire(old.versions.values(), System.nanoTime() + drainTimeout.toNanos(), why);
      for (var e : entry.index(false)) {
        if (!e.version().isEmpty()) {
          entry.forget(Long.parseLong(e.version()));
        }
      }
    } finally {
      entry.lock.unlock();
    }
  }

  /**
   * Retires versions no longer in any routing: closes their queues (queued requests still run),
   * waits for their workers up to the deadline, fails what is left with UNAVAILABLE, and closes
   * their sessions.
   */
  static void retire(Collection<ModelVersion> versions, long deadlineNanos, String why) {
    for (ModelVersion v : versions) {
      v.closeQueue();
    }
    for (ModelVersion v : versions) {
      if (!v.awaitWorkers(deadlineNanos)) {
        LOG.warn(
            "model '{}' version {} did not drain in time; failing what is left", v.model, v.label);
        v.abort(why + " before the request ran");
      }
      v.close();
    }
  }

  private void requireAccepting() {
    if (!accepting.getAsBoolean()) {
      throw StrataException.unavailable("the runtime is shutting down");
    }
  }

  private static String describe(Map<Long, String> failures) {
    if (failures.isEmpty()) {
      return "the runtime is shutting down";
    }
    StringBuilder sb = new StringBuilder();
    failures.forEach(
        (v, why) -> {
          if (!sb.isEmpty()) {
            sb.append("; ");
          }
          sb.append("version ").append(v).append(" failed to load: ").append(why);
        });
    return sb.toString();
  }
}
