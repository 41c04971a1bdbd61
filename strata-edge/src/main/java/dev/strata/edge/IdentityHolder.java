package dev.strata.edge;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** The node's identity, loaded from and saved to {@code node.json} (mode 0600). */
final class IdentityHolder {
  private final Path file;
  private final CopyOnWriteArrayList<Consumer<NodeIdentity>> listeners =
      new CopyOnWriteArrayList<>();
  private volatile Optional<NodeIdentity> identity;

  IdentityHolder(Path file) {
    this.file = file;
    this.identity = StateFiles.read(file, NodeIdentity.class);
  }

  Optional<NodeIdentity> get() {
    return identity;
  }

  /** Saves (atomically, readable by the owner only), then tells the listeners. */
  void set(NodeIdentity id) {
    StateFiles.write(file, id, true);
    identity = Optional.of(id);
    for (Consumer<NodeIdentity> l : listeners) {
      l.accept(id);
    }
  }

  void onChange(Consumer<NodeIdentity> listener) {
    listeners.add(listener);
  }
}
