package dev.strata.federated;

import dev.strata.api.CloudApiClient;
import dev.strata.core.StrataException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * Whether this process can train, and the node's federated client when it can: the training module
 * (strata-train with DJL and PyTorch) is optional, present only where a node trains, so the client
 * is loaded by name only after {@link #present} said yes — an inference-only edge never links a
 * class that needs DJL.
 */
public final class TrainingModule {
  private static final String PARTICIPANT = "dev.strata.federated.client.FederatedParticipant";

  private TrainingModule() {}

  /** A node's federated client, started and closed by the edge agent. */
  public interface NodeTraining extends AutoCloseable {
    void start();

    @Override
    void close();
  }

  public static boolean present() {
    ClassLoader l = TrainingModule.class.getClassLoader();
    try {
      Class.forName("ai.djl.pytorch.engine.PtEngine", false, l);
      Class.forName("dev.strata.train.engine.DjlEngines", false, l);
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /**
   * The node's federated client (see {@code FederatedParticipant}): polls {@code cloud} every
   * {@code interval} and trains on {@code trainData}.
   */
  public static NodeTraining participant(
      Supplier<CloudApiClient> cloud, String name, Path trainData, Duration interval) {
    if (!present()) {
      throw StrataException.invalid(
          "--train-data %s: this process has no training module (DJL and PyTorch)", trainData);
    }
    BiConsumer<String, byte[]> wire = (path, body) -> {};
    try {
      return (NodeTraining)
          Class.forName(PARTICIPANT)
              .getConstructor(
                  Supplier.class, String.class, Path.class, Duration.class, BiConsumer.class)
              .newInstance(cloud, name, trainData, interval, wire);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException("cannot start the federated client", e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot start the federated client", e);
    }
  }
}
