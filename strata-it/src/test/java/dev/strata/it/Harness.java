package dev.strata.it;

import dev.strata.core.testing.SelfSignedCertificate;
import dev.strata.registry.testing.TestDb;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.opentest4j.TestAbortedException;

/**
 * The processes of one test, as a JUnit extension ({@code @RegisterExtension final Harness harness
 * = new Harness();}): a work directory per test under {@code target/it-work/<class>/<test>} with
 * one log per process, free loopback ports, clouds and edges in their own JVMs, and clean-up that
 * always runs: every process still alive after the test is killed (SIGKILL), clients and databases
 * are closed. When the test failed, the end of every process's log is printed; when it passed, only
 * the logs are kept.
 */
final class Harness implements BeforeEachCallback, AfterEachCallback {
  static final String WORK_DIR = "strata.it.work";
  private static final int LOG_LINES_ON_FAILURE = 150;

  private final List<StrataProcess> processes = new ArrayList<>();
  private final Deque<AutoCloseable> closeables = new ArrayDeque<>();
  private final Set<Integer> ports = new HashSet<>();
  private Path dir;
  private HttpClient http;

  @Override
  public void beforeEach(ExtensionContext context) throws IOException {
    dir =
        Path.of(System.getProperty(WORK_DIR, "target/it-work"))
            .toAbsolutePath()
            .resolve(context.getRequiredTestClass().getSimpleName())
            .resolve(testName(context));
    deleteRecursively(dir, p -> true);
    Files.createDirectories(dir);
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  }

  /**
   * The method name, with the parameters of a parameterized test or class (e.g. {@code
   * 1_database=SQLITE-method}, {@code method-1_KILL}).
   */
  private static String testName(ExtensionContext context) {
    String name = context.getRequiredTestMethod().getName();
    if (context.getDisplayName().startsWith("[")) {
      name = name + "-" + context.getDisplayName();
    }
    Optional<ExtensionContext> parent = context.getParent();
    while (parent.isPresent()) {
      ExtensionContext p = parent.get();
      if (p.getTestMethod().isEmpty() && p.getDisplayName().startsWith("[")) {
        name = p.getDisplayName() + "-" + name;
      }
      parent = p.getParent();
    }
    return name.replaceAll("[^A-Za-z0-9._=-]+", "_").replaceAll("^_+", "");
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    List<Throwable> problems = new ArrayList<>();
    for (StrataProcess p : processes) {
      try {
        p.kill();
      } catch (RuntimeException e) {
        problems.add(e);
      }
    }
    while (!closeables.isEmpty()) {
      try {
        closeables.pop().close();
      } catch (Exception e) {
        problems.add(e);
      }
    }
    if (http != null) {
      http.close();
    }
    boolean failed =
        context
            .getExecutionException()
            .filter(e -> !(e instanceof TestAbortedException))
            .isPresent();
    if (failed) {
      StringBuilder out = new StringBuilder();
      for (StrataProcess p : processes) {
        out.append(
            String.format(
                "%n----- %s: last %d lines of %s -----%n%s%n",
                p.name(), LOG_LINES_ON_FAILURE, p.log(), p.tail(LOG_LINES_ON_FAILURE)));
      }
      System.err.println(out);
    } else {
      // the logs stay for reading; the data (artifacts, databases) would only fill the disk
      deleteRecursively(dir, p -> !p.getFileName().toString().endsWith(".log"));
    }
    processes.clear();
    ports.clear();
    if (!problems.isEmpty()) {
      AssertionError e = new AssertionError("clean-up failed: " + problems.getFirst());
      problems.forEach(e::addSuppressed);
      throw e;
    }
  }

  /** This test's work directory. */
  Path dir() {
    return dir;
  }

  /** Notes a result (a load's counts...) in the test's own log, {@code test.log}, and on stdout. */
  void record(Object result) {
    String line = Instant.now() + " " + result + System.lineSeparator();
    System.out.print(line);
    try {
      Files.writeString(
          dir.resolve("test.log"),
          line,
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + dir.resolve("test.log"), e);
    }
  }

  /** The shared HTTP client (closed after the test). */
  HttpClient http() {
    return http;
  }

  /** Closes {@code resource} after the test (before the processes' data is removed). */
  <T extends AutoCloseable> T closeAfter(T resource) {
    closeables.push(resource);
    return resource;
  }

  /**
   * {@code strata serve} over {@code repository} on {@code httpPort} (gRPC off), started; its
   * readiness is the caller's to await.
   */
  StrataProcess serve(Path repository, int httpPort, String... more) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "serve",
                "--model-repository",
                repository.toString(),
                "--http-port",
                Integer.toString(httpPort),
                "--grpc-port",
                "-1"));
    args.addAll(List.of(more));
    StrataProcess p =
        new StrataProcess(
            "serve",
            JvmCommand.child(dir.resolve("tmp"), List.of()),
            args,
            java.util.Map.of(),
            dir.resolve("serve.log"));
    processes.add(p);
    p.start();
    return p;
  }

  /** A cloud on SQLite in its data directory, started and ready. */
  CloudProcess cloud() {
    return cloud(TestDb.SQLITE);
  }

  /** A cloud on a fresh database of {@code kind}, started and ready. */
  CloudProcess cloud(TestDb kind) {
    return cloud(kind, List.of());
  }

  /** A cloud with extra {@code strata cloud} options, started and ready. */
  CloudProcess cloud(TestDb kind, List<String> options) {
    CloudDatabase database = closeAfter(CloudDatabase.create(kind));
    CloudProcess cloud =
        new CloudProcess(
            this,
            dir.resolve("cloud"),
            freePort(),
            freePort(),
            database,
            options,
            Optional.empty(),
            http);
    processes.add(cloud.process());
    return cloud.start();
  }

  /** A cloud on SQLite serving HTTPS and gRPC over TLS with {@code tls}, started and ready. */
  CloudProcess cloud(SelfSignedCertificate tls) throws GeneralSecurityException {
    CloudDatabase database = closeAfter(CloudDatabase.create(TestDb.SQLITE));
    HttpClient trusting =
        closeAfter(
            HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(2))
                .sslContext(tls.clientContext())
                .build());
    CloudProcess cloud =
        new CloudProcess(
            this,
            dir.resolve("cloud"),
            freePort(),
            freePort(),
            database,
            List.of(),
            Optional.of(tls),
            trusting);
    processes.add(cloud.process());
    return cloud.start();
  }

  /**
   * An edge enrolling with {@code cloud} with a token carrying {@code labels}, started and live
   * (enrollment goes on in the background).
   */
  EdgeProcess edge(String name, CloudProcess cloud, Map<String, String> labels) {
    return edge(
        name, cloud, Optional.of(cloud.admin().enrollmentToken(labels)), List.of(), List.of());
  }

  /**
   * An edge with the given enrollment token (if any), extra {@code strata edge} options and extra
   * JVM options.
   */
  EdgeProcess edge(
      String name,
      CloudProcess cloud,
      Optional<String> enrollToken,
      List<String> options,
      List<String> jvmOptions) {
    EdgeProcess edge =
        new EdgeProcess(
            this,
            name,
            dir.resolve(name),
            cloud.url(),
            enrollToken,
            options,
            jvmOptions,
            freePort(),
            freePort(),
            http);
    processes.add(edge.process());
    return edge.start();
  }

  /** A loopback port nothing listens on now, and not given out before in this test. */
  int freePort() {
    for (int attempt = 0; attempt < 50; attempt++) {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        if (ports.add(s.getLocalPort())) {
          return s.getLocalPort();
        }
      } catch (IOException e) {
        throw new UncheckedIOException("no free port", e);
      }
    }
    throw new IllegalStateException("no new free port after 50 attempts");
  }

  static void deleteRecursively(Path root, Predicate<Path> files) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            if (files.test(file)) {
              Files.delete(file);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            try (var entries = Files.list(d)) {
              if (entries.findAny().isEmpty()) {
                Files.delete(d);
              }
            }
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
