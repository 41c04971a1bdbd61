package dev.strata.train.cli;

import dev.strata.core.StrataException;
import dev.strata.train.data.DataSources;
import dev.strata.train.lm.LanguageModelSpec;
import dev.strata.train.lm.LanguageModelTrainer;
import dev.strata.train.lm.TextCorpus;
import dev.strata.train.spec.TrainingSpec;
import dev.strata.train.training.ProgressBar;
import dev.strata.train.training.TrainingListener;
import dev.strata.train.workflow.ClusterTraining;
import dev.strata.train.workflow.TrainingWorkflow;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code strata train}: trains, evaluates and exports a model from a spec and a data set. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Train a model from a spec (JSON or YAML) on a data set, evaluate it on the test data,",
      "and export it as a verified ONNX model with its fitted preprocessing.",
      "",
      "DATA is a directory of IDX files (MNIST format, plain or .gz; 'fashion-mnist' names Debian's",
      "dataset-fashion-mnist package), a CSV file (or a directory",
      "with train.csv and test.csv), or a directory of class folders of PNG/JPEG images (or one",
      "with train/ and test/ such folders).",
      "",
      "Writes into DIR: checkpoint/ (resume with --resume), training-log.jsonl (one line per",
      "epoch), model.onnx, metrics.json and report.html.",
      "",
      "A spec with 'task: language_model' trains a decoder-only transformer (llama architecture)",
      "with a byte-level BPE tokenizer it fits itself; DATA is then a text corpus: a text file",
      "(plain or .gz; blank lines separate documents), a dictd database (.dict.dz beside its",
      ".index), 'devils-dictionary' (Debian's dict-devil package) or 'kjv' (the King James",
      "Version through Debian's bible-kjv and bible-kjv-text packages). It writes spec.yaml,",
      "tokenizer.json, lm.params, training-log.jsonl and metrics.json (held-out perplexity);",
      "'strata export --format gguf' turns that into a GGUF for llama.cpp."
    })
public final class TrainCommand implements Callable<Integer> {
  @Option(names = "--spec", required = true, paramLabel = "SPEC", description = "Training spec.")
  Path spec;

  @Option(
      names = "--data",
      required = true,
      paramLabel = "DATA",
      description = {
        "Data set: a path, or with --cluster also a Hadoop file system URI (hdfs://, s3a://,",
        "viewfs://, ...) that the driver and each executor read through Spark's Hadoop",
        "configuration."
      })
  String data;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
  Path out;

  @Option(
      names = "--resume",
      description = "Continue from DIR/checkpoint if it exists (same data required).")
  boolean resume;

  @Option(
      names = "--epochs",
      paramLabel = "N",
      description = "Override the spec's epoch count (e.g. for a quick run).")
  Integer epochs;

  @Option(
      names = "--cv",
      paramLabel = "K",
      defaultValue = "0",
      description = "Also run K-fold cross-validation on the training data first (default: off).")
  int folds;

  @Option(names = "--quiet", description = "No progress bar.")
  boolean quiet;

  @Mixin CommonOptions common;

  @Option(
      names = "--steps",
      paramLabel = "N",
      description = "Language models: override the spec's step count (e.g. for a quick run).")
  Integer steps;

  @Option(
      names = "--cluster",
      paramLabel = "MASTER",
      description = {
        "Train data-parallel on Apache Spark: spark://HOST:PORT (a standalone cluster),",
        "local-cluster[N,1,MB] (N executor JVMs started here) or local[1]. Needs strata-distributed",
        "(./strata adds it when --cluster is given)."
      })
  String cluster;

  @Option(
      names = "--workers",
      paramLabel = "N",
      defaultValue = "2",
      description = "With --cluster: barrier tasks, one per executor (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(
      names = "--sync",
      paramLabel = "MODE",
      defaultValue = "allreduce",
      description = "With --cluster: allreduce (default) or parameter-server.")
  String sync;

  @Option(
      names = "--staleness",
      paramLabel = "K",
      defaultValue = "0",
      description =
          "With --sync parameter-server: 0 for synchronous steps (default), K > 0 for"
              + " asynchronous updates at most K steps apart.")
  int staleness;

  @Option(
      names = "--checkpoint-every",
      paramLabel = "STEPS",
      defaultValue = "0",
      description =
          "With --cluster: rank 0 also checkpoints every STEPS optimizer steps inside an epoch,"
              + " where a retried stage resumes (default: after each epoch only).")
  int checkpointEvery;

  @Option(
      names = "--step-timeout",
      paramLabel = "SECONDS",
      defaultValue = "120",
      description =
          "With --cluster: a worker waiting longer than this for a peer fails the stage, naming"
              + " the peer (default: ${DEFAULT-VALUE}).")
  int stepTimeout;

  @Option(
      names = "--conf",
      paramLabel = "KEY=VALUE",
      description = {
        "With --cluster: a Spark property, as spark-submit --conf takes it (repeatable), e.g.",
        "spark.executor.memory=4g or spark.hadoop.fs.s3a.endpoint=..."
      })
  Map<String, String> sparkConf = new LinkedHashMap<>();

  @Override
  public Integer call() throws Exception {
    if (LanguageModelSpec.isLanguageModel(spec)) {
      if (cluster != null) {
        throw StrataException.invalid("--cluster: language models train in one process only");
      }
      return trainLanguageModel();
    }
    if (cluster == null && !sparkConf.isEmpty()) {
      throw StrataException.invalid("--conf sets Spark properties: it needs --cluster");
    }
    TrainingSpec s = TrainingSpec.read(spec);
    TrainingListener progress = quiet ? new TrainingListener() {} : ProgressBar.onStderr();
    TrainingWorkflow.Result r;
    if (cluster != null) {
      if (resume || folds > 0) {
        throw StrataException.invalid(
            "--cluster: %s is for one process (a cluster run resumes from its own checkpoint"
                + " when Spark retries it)",
            resume ? "--resume" : "--cv");
      }
      ClusterTraining.Request request =
          new ClusterTraining.Request(
              s,
              data,
              out,
              cluster,
              workers,
              ClusterTraining.Sync.parse(sync),
              staleness,
              checkpointEvery,
              stepTimeout,
              Optional.ofNullable(epochs),
              sparkConf,
              common.config());
      ClusterTraining impl =
          ClusterTraining.find()
              .orElseThrow(
                  () ->
                      StrataException.invalid(
                          "--cluster: strata-distributed (Spark) is not on the class path; run"
                              + " ./strata, which adds it when --cluster is given"));
      r = impl.train(request);
    } else {
      r =
          new TrainingWorkflow(common.config(), Clock.systemUTC())
              .run(
                  s,
                  localData(),
                  out,
                  new TrainingWorkflow.Options(
                      resume, Optional.ofNullable(epochs), Optional.empty(), folds, progress));
    }
    System.out.printf(
        Locale.ROOT,
        "%s: %d parameters, %d epochs, %s %.4f (95%% CI %.4f-%.4f) -> %s%n",
        s.name(),
        r.parameterCount(),
        r.epochsTrained(),
        r.evaluation().classification().isPresent() ? "accuracy" : "rmse",
        r.evaluation().mainMetric().estimate(),
        r.evaluation().mainMetric().lower(),
        r.evaluation().mainMetric().upper(),
        r.model());
    return 0;
  }

  /** DATA as a path: URIs of other file systems are read through Spark, with --cluster only. */
  private Path localData() {
    Optional<String> scheme = DataSources.remoteScheme(data);
    if (scheme.isPresent()) {
      throw StrataException.invalid(
          "--data %s: a %s:// URI is read through Spark's Hadoop file systems, with --cluster"
              + " only (expected here: a local path)",
          data, scheme.get());
    }
    return DataSources.localPath(data);
  }

  private int trainLanguageModel() throws Exception {
    LanguageModelSpec s = LanguageModelSpec.read(spec);
    if (steps != null) {
      s = s.withSteps(steps);
    }
    TextCorpus corpus = TextCorpus.load(localData());
    LanguageModelTrainer.Result r =
        new LanguageModelTrainer(common.config(), quiet ? null : System.err).train(s, corpus, out);
    System.out.printf(
        Locale.ROOT,
        "%s: %d parameters, vocabulary %d, %d training tokens, best step %d, held-out perplexity"
            + " %.2f -> %s%n",
        s.name(),
        r.parameters(),
        r.vocabSize(),
        r.trainTokens(),
        r.bestStep(),
        r.heldOutPerplexity(),
        out);
    return 0;
  }
}
