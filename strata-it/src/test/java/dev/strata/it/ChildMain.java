package dev.strata.it;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;

/**
 * The entry point of every child JVM the tests start: runs {@code args[0]}'s {@code main} with the
 * remaining arguments, and exits as soon as the parent goes away.
 *
 * <p>Why: the harness kills its children after every test, but a test JVM that is itself killed
 * outright (SIGKILL by a build timeout, a developer's Ctrl-C at the wrong moment) runs no clean-up.
 * Its end closes the pipe to the child's standard input, which the child sees here as end of file;
 * the child then exits through its ordinary shutdown hook. So no cloud or edge outlives its test
 * JVM. The processes under test never read standard input, so the pipe is otherwise idle.
 */
public final class ChildMain {
  private ChildMain() {}

  public static void main(String[] args) throws Throwable {
    if (args.length == 0) {
      throw new IllegalArgumentException("usage: ChildMain MAIN-CLASS [ARGS...]");
    }
    Thread.ofPlatform().daemon().name("parent-watch").start(ChildMain::exitWhenOrphaned);
    try {
      Class.forName(args[0])
          .getMethod("main", String[].class)
          .invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private static void exitWhenOrphaned() {
    InputStream in = System.in;
    byte[] buffer = new byte[256];
    try {
      while (in.read(buffer) >= 0) {
        // nothing is ever written: only the end of the stream matters
      }
    } catch (IOException e) {
      // a broken pipe means the same: the parent is gone
    }
    System.err.println("ChildMain: the test JVM is gone; stopping");
    System.exit(143);
  }
}
