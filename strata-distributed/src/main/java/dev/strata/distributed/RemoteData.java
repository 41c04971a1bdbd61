package dev.strata.distributed;

import dev.strata.core.AtomicFiles;
import dev.strata.core.StrataException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.UnsupportedFileSystemException;

/**
 * A data set named by a Hadoop file system URI ({@code hdfs://}, {@code s3a://}, {@code viewfs://},
 * whatever the class path and the {@code spark.hadoop.*} properties configure): read the way Spark
 * reads it, through Hadoop's {@link FileSystem} with Spark's Hadoop configuration, and copied to a
 * local directory for Strata's readers (IDX, CSV, image folders) on the driver and on each
 * executor. A plain path or a {@code file:} URI stays local: every executor reads it where it lies.
 */
final class RemoteData {
  private static final String PREFIX = "spark.hadoop.";

  private RemoteData() {}

  /** True when {@code data} is a URI whose scheme is not {@code file} (nor a drive letter). */
  static boolean isRemote(String data) {
    return scheme(data) != null && !scheme(data).equalsIgnoreCase("file");
  }

  /** The local path of {@code data}: the path itself, or the path of its {@code file:} URI. */
  static Path local(String data) {
    String s = scheme(data);
    if (s != null && s.equalsIgnoreCase("file")) {
      return Path.of(URI.create(data));
    }
    if (s != null) {
      throw new IllegalArgumentException(data + " is remote");
    }
    return Path.of(data);
  }

  private static String scheme(String data) {
    if (!data.contains(":/")) {
      return null;
    }
    try {
      String s = new URI(data).getScheme();
      return s == null || s.length() < 2 ? null : s;
    } catch (URISyntaxException e) {
      return null;
    }
  }

  /**
   * Hadoop's configuration with the {@code spark.hadoop.*} properties applied, as Spark makes it.
   */
  static Configuration hadoopConfiguration(Map<String, String> sparkProperties) {
    Configuration conf = new Configuration();
    sparkProperties.forEach(
        (k, v) -> {
          if (k.startsWith(PREFIX)) {
            conf.set(k.substring(PREFIX.length()), v);
          }
        });
    return conf;
  }

  /**
   * Copies the file or directory at {@code uri} into {@code into} (which must not exist yet) and
   * returns the local copy. The copy goes to a sibling first and is renamed when complete, so a
   * failed copy leaves nothing behind that looks like data.
   */
  static Path fetch(String uri, Configuration conf, Path into) throws IOException {
    URI u = URI.create(uri);
    org.apache.hadoop.fs.Path src = new org.apache.hadoop.fs.Path(u);
    Path partial = into.resolveSibling(into.getFileName() + ".partial");
    AtomicFiles.deleteTree(partial);
    try {
      FileSystem fs = src.getFileSystem(conf);
      if (!fs.exists(src)) {
        throw StrataException.notFound("data %s: no such file or directory", uri);
      }
      String name = src.getName().isEmpty() ? "data" : src.getName();
      Files.createDirectories(partial);
      // the raw local file system: no .crc files beside the copy
      fs.copyToLocalFile(
          false, src, new org.apache.hadoop.fs.Path(partial.resolve(name).toUri()), true);
      Files.move(partial, into);
      return into.resolve(name);
    } catch (FileNotFoundException e) {
      throw StrataException.notFound("data %s: %s", uri, e.getMessage());
    } catch (UnsupportedFileSystemException e) {
      throw StrataException.invalid(
          "data %s: no Hadoop file system for scheme \"%s\" (add its connector to the class path"
              + " or set spark.hadoop.fs.%s.impl)",
          uri, u.getScheme(), u.getScheme());
    } catch (IOException e) {
      throw new IOException("data " + uri + ": " + e.getMessage(), e);
    } finally {
      AtomicFiles.deleteTree(partial);
    }
  }
}
