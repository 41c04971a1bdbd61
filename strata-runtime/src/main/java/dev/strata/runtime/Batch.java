package dev.strata.runtime;

/** The requests of one execution; each worker reuses one. */
final class Batch {
  final Pending[] items;
  final boolean[] claimed;
  int size;
  int rows;

  Batch(int capacity) {
    this.items = new Pending[capacity];
    this.claimed = new boolean[capacity];
  }

  void add(Pending p) {
    items[size++] = p;
    rows += p.rows;
  }

  /** Hands every request's inputs back: the execution that read them has ended. */
  void releaseInputs() {
    for (int i = 0; i < size; i++) {
      items[i].releaseInputs();
    }
  }

  void clear() {
    for (int i = 0; i < size; i++) {
      items[i] = null;
      claimed[i] = false;
    }
    size = 0;
    rows = 0;
  }
}
