package dev.strata.cli.demo;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.filter.ThresholdFilter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.filter.Filter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * While the demo runs, the components' logs (a cloud and two edges in one process) go to a file in
 * the data directory, and the console shows only warnings and errors beside the demo's own output.
 * {@link #close()} puts the logging back as it was. Without logback as the SLF4J binding it does
 * nothing.
 */
final class DemoLog implements AutoCloseable {
  private final Logger root;
  private final FileAppender<ILoggingEvent> file;
  private final Map<Appender<ILoggingEvent>, List<Filter<ILoggingEvent>>> quieted;

  private DemoLog(
      Logger root,
      FileAppender<ILoggingEvent> file,
      Map<Appender<ILoggingEvent>, List<Filter<ILoggingEvent>>> quieted) {
    this.root = root;
    this.file = file;
    this.quieted = quieted;
  }

  /**
   * Adds {@code logFile} (appended to) to the root logger at its level; with {@code quietConsole},
   * console appenders show WARN and above only.
   */
  static DemoLog start(Path logFile, boolean quietConsole) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return new DemoLog(null, null, Map.of());
    }
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger{0} - %msg%n");
    encoder.start();
    FileAppender<ILoggingEvent> file = new FileAppender<>();
    file.setContext(context);
    file.setName("strata-demo-file");
    file.setFile(logFile.toAbsolutePath().toString());
    file.setAppend(true);
    file.setEncoder(encoder);
    file.start();
    Map<Appender<ILoggingEvent>, List<Filter<ILoggingEvent>>> quieted = new LinkedHashMap<>();
    if (quietConsole) {
      for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
        Appender<ILoggingEvent> a = it.next();
        if (a instanceof ConsoleAppender<ILoggingEvent>) {
          quieted.put(a, a.getCopyOfAttachedFiltersList());
          ThresholdFilter warn = new ThresholdFilter();
          warn.setContext(context);
          warn.setLevel(Level.WARN.toString());
          warn.start();
          a.addFilter(warn);
        }
      }
    }
    root.addAppender(file);
    return new DemoLog(root, file, quieted);
  }

  @Override
  public void close() {
    if (root == null) {
      return;
    }
    root.detachAppender(file);
    file.stop();
    for (Map.Entry<Appender<ILoggingEvent>, List<Filter<ILoggingEvent>>> e : quieted.entrySet()) {
      e.getKey().clearAllFilters();
      for (Filter<ILoggingEvent> f : new ArrayList<>(e.getValue())) {
        e.getKey().addFilter(f);
      }
    }
  }
}
