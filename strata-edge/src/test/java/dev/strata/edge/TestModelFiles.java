package dev.strata.edge;

/** Model bytes for tests in other packages of this module. */
public final class TestModelFiles {
  public static final int IN = TestModels.IN;

  private TestModelFiles() {}

  public static byte[] mlp(long seed) {
    return TestModels.mlp(seed);
  }
}
