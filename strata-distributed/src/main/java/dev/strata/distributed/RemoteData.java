package dev.strata.distributed;

import dev.strata.core.AtomicFiles;
import dev.strata.core.StrataException;
import dev.strata.train.data.DataSources;
import dev.strata.train.data.PreparedData;
import dev.strata.train.spec.TrainingSpec;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.UnsupportedFileSystemException;
import org.apache.spark.SparkConf;
import scala.Tuple2;

/**
 * A data set named by a Hadoop file system URI ({@code hdfs://}, {@code s3a://}, {@code viewfs://},
 * whatever the class path and the {@code spark.hadoop.*} properties configure): read the way Spark
 * reads it, through Hadoop's {@link FileSystem} with Spark's Hadoop configuration, and copied to a
 * local directory for Strata's readers (IDX, CSV, image folders) on the driver and on each
 * executor. A plain path or a {@code file:} URI stays local: every executor reads it where it lies
 * ({@link DataSources#remoteScheme} tells them apart).
 */
final class RemoteData {
  private RemoteData() {}

  /**
   * Reads and prepares {@code data} as {@code spec} says: where it lies when it is a path, else
   * from a local copy made in a new directory under {@code scratch} and deleted afterwards.
   */
  static PreparedData prepare(TrainingSpec spec, String data, SparkConf conf, Path scratch)
      throws IOException {
    if (DataSources.remoteScheme(data).isEmpty()) {
      return PreparedData.prepare(spec, DataSources.load(DataSources.localPath(data), spec));
    }
    Path copy = Files.createTempDirectory(scratch, "strata-data-");
    try {
      Path local = fetch(data, hadoopConfiguration(conf), copy.resolve("data"));
      return PreparedData.prepare(spec, DataSources.load(local, spec));
    } finally {
      AtomicFiles.deleteTree(copy);
    }
  }

  /**
   * Hadoop's configuration with the {@code spark.hadoop.*} properties applied, as Spark makes it.
   */
  static Configuration hadoopConfiguration(SparkConf spark) {
    Configuration conf = new Configuration();
    for (Tuple2<String, String> kv : spark.getAllWithPrefix("spark.hadoop.")) {
      conf.set(kv._1(), kv._2());
    }
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
