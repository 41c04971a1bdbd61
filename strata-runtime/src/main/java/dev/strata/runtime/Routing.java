package dev.strata.runtime;

import java.util.Collections;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The versions of a model that serve requests, as one immutable snapshot: publishing a new one is
 * the atomic switch of a reload.
 */
final class Routing {
  static final Routing EMPTY = new Routing(new TreeMap<>());

  final NavigableMap<Long, ModelVersion> versions;

  /** Where requests without a version go; null when nothing serves. */
  final ModelVersion newest;

  Routing(NavigableMap<Long, ModelVersion> versions) {
    this.versions = Collections.unmodifiableNavigableMap(new TreeMap<>(versions));
    this.newest = versions.isEmpty() ? null : versions.lastEntry().getValue();
  }

  ModelVersion get(long number) {
    return versions.get(number);
  }

  boolean isEmpty() {
    return versions.isEmpty();
  }
}
