package dev.strata.runtime;

import dev.strata.core.RepositoryEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One model of the repository: the routing snapshot requests read without locking, and the state of
 * each version for the repository index. Loads and unloads of a model take its {@link #lock} (never
 * the request path).
 */
final class ModelEntry {
  static final String READY = "READY";
  static final String LOADING = "LOADING";
  static final String UNLOADING = "UNLOADING";
  static final String UNAVAILABLE = "UNAVAILABLE";

  final String name;
  final ReentrantLock lock = new ReentrantLock();
  volatile Routing routing = Routing.EMPTY;

  /** Why nothing serves, when nothing does (a bad config, unloaded); empty otherwise. */
  volatile String reason = "";

  private volatile Map<Long, RepositoryEntry> states = Map.of();

  ModelEntry(String name) {
    this.name = name;
  }

  /** Sets the state of one version (under the lock). */
  void state(long version, String state, String why) {
    Map<Long, RepositoryEntry> next = new TreeMap<>(states);
    next.put(version, new RepositoryEntry(name, Long.toString(version), state, why));
    states = next;
  }

  /** Forgets the state of one version (under the lock). */
  void forget(long version) {
    Map<Long, RepositoryEntry> next = new TreeMap<>(states);
    next.remove(version);
    states = next;
  }

  /** The state of one version, if the model has one for it. */
  RepositoryEntry state(long version) {
    return states.get(version);
  }

  /** The index rows of this model: one per known version, or one without version. */
  List<RepositoryEntry> index(boolean readyOnly) {
    List<RepositoryEntry> out = new ArrayList<>();
    for (RepositoryEntry e : states.values()) {
      if (!readyOnly || e.state().equals(READY)) {
        out.add(e);
      }
    }
    if (out.isEmpty() && !readyOnly) {
      out.add(new RepositoryEntry(name, "", UNAVAILABLE, reason.isEmpty() ? "not loaded" : reason));
    }
    return out;
  }
}
