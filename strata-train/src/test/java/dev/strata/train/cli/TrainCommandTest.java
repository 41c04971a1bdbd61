package dev.strata.train.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code strata train}'s checks of a data URI and of Spark options outside a cluster run. */
class TrainCommandTest {
  @TempDir Path dir;

  @Test
  void aHadoopUriNeedsTheCluster() {
    Result r = run("--data", "hdfs://namenode:8020/fashion");
    assertThat(r.rc()).isEqualTo(2);
    assertThat(r.err())
        .contains("--data hdfs://namenode:8020/fashion")
        .contains("with --cluster only");
  }

  @Test
  void sparkPropertiesNeedTheCluster() {
    Result r = run("--data", dir.toString(), "--conf", "spark.executor.memory=4g");
    assertThat(r.rc()).isEqualTo(2);
    assertThat(r.err()).contains("--conf").contains("needs --cluster");
  }

  @Test
  void aFileUriIsTheLocalPath() {
    // the path does not exist: the error names it as a path, so the URI was taken as one
    Result r = run("--data", dir.resolve("none").toUri().toString());
    assertThat(r.rc()).isEqualTo(2);
    assertThat(r.err()).contains(dir.resolve("none").toString()).contains("no such file");
  }

  private record Result(int rc, String err) {}

  private Result run(String... data) {
    StringWriter err = new StringWriter();
    CommandLine cl = StrataTrainCli.commandLine();
    cl.setErr(new PrintWriter(err, true));
    String[] args = new String[data.length + 6];
    args[0] = "train";
    args[1] = "--spec";
    args[2] = Path.of("../models/fashion-cnn/spec.yaml").toString();
    args[3] = "--out";
    args[4] = dir.resolve("out").toString();
    args[5] = "--quiet";
    System.arraycopy(data, 0, args, 6, data.length);
    return new Result(cl.execute(args), err.toString());
  }
}
