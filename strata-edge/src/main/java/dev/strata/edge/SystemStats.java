package dev.strata.edge;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** The machine's CPU and memory use, and this process's resident memory, for heartbeats. */
final class SystemStats {
  private final com.sun.management.OperatingSystemMXBean os;

  SystemStats() {
    this.os =
        ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean b
            ? b
            : null;
  }

  /** The machine's recent CPU use, 0-100 (0 when the platform does not say). */
  double cpuPercent() {
    if (os == null) {
      return 0;
    }
    double load = os.getCpuLoad();
    return load >= 0 && load <= 1 ? load * 100 : 0;
  }

  long memoryTotalBytes() {
    return os == null ? 0 : Math.max(0, os.getTotalMemorySize());
  }

  long memoryUsedBytes() {
    return os == null ? 0 : Math.max(0, os.getTotalMemorySize() - os.getFreeMemorySize());
  }

  /** This process's resident set size ({@code VmRSS} of {@code /proc/self/status}), on Linux. */
  static OptionalLong residentBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          String kb = line.substring(6).trim().split("\\s+")[0];
          return OptionalLong.of(Long.parseLong(kb) * 1024);
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: unknown
    }
    return OptionalLong.empty();
  }
}
