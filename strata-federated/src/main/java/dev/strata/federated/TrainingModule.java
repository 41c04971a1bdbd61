package dev.strata.federated;

/**
 * Whether this process can train: the training module (strata-train with DJL and PyTorch) is
 * optional, present only where a node trains. Checked before any class that needs it is loaded.
 */
public final class TrainingModule {
  private TrainingModule() {}

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
}
