package dev.strata.train.lm;

import ai.djl.engine.Engine;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.core.AtomicFiles;
import dev.strata.core.StrataException;
import dev.strata.llm.gguf.ByteBpeVocabulary;
import dev.strata.train.engine.DjlEngines;
import dev.strata.train.engine.TrainConfig;
import dev.strata.train.eval.TrainJson;
import dev.strata.train.spec.TrainingOptions;
import dev.strata.train.training.ModelTrainer;
import dev.strata.train.training.Updater;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Trains a {@link LanguageModelSpec} on a {@link TextCorpus}: fits the byte-level BPE tokenizer on
 * the training documents, tokenizes every document (each followed by the end-of-sequence token),
 * then trains the {@link LlamaBlock} with AdamW on random windows of the training stream, scoring
 * held-out perplexity every {@code eval_every} steps (on the first {@value #PROBE_WINDOWS} windows)
 * and keeping the best weights, which are then scored on the whole held-out text.
 *
 * <p>Seeded and reproducible: the same spec, corpus and thread count give the same model. Writes
 * into the output directory {@code spec.yaml}, {@code tokenizer.json}, {@code lm.params}, {@code
 * training-log.jsonl} (one line per evaluation) and {@code metrics.json}.
 */
public final class LanguageModelTrainer {
  /** Held-out windows scored at each evaluation during training. */
  static final int PROBE_WINDOWS = 96;

  private final TrainConfig config;
  private final PrintStream progress;

  /** What a run gave. */
  public record Result(
      long parameters,
      int vocabSize,
      long trainTokens,
      long heldOutTokens,
      int bestStep,
      double heldOutPerplexity,
      double seconds) {}

  public LanguageModelTrainer(TrainConfig config, PrintStream progress) {
    this.config = config;
    this.progress = progress;
  }

  public Result train(LanguageModelSpec spec, TextCorpus corpus, Path out) throws IOException {
    Files.createDirectories(out);
    long started = System.nanoTime();
    ByteBpeVocabulary vocabulary =
        ByteBpeVocabulary.of(ByteBpe.fit(corpus.train(), spec.vocabSize()));
    Path tokenizerJson = out.resolve(TrainedLanguageModel.TOKENIZER);
    ByteBpe.writeTokenizerJson(vocabulary, tokenizerJson);
    int[] train;
    int[] held;
    try (HuggingFaceTokenizer tok = ByteBpe.open(tokenizerJson)) {
      train = stream(tok, corpus.train(), vocabulary.eos());
      held = stream(tok, corpus.heldOut(), vocabulary.eos());
    }
    int ctx = spec.model().context();
    if (train.length < 2L * (ctx + 1) || held.length < ctx + 1) {
      throw StrataException.invalid(
          "corpus %s: %d training and %d held-out tokens (expected: at least %d and %d for a"
              + " context of %d)",
          corpus.name(), train.length, held.length, 2 * (ctx + 1), ctx + 1, ctx);
    }
    AtomicFiles.write(
        out.resolve(TrainedLanguageModel.SPEC), spec.source().getBytes(StandardCharsets.UTF_8));
    // during training the best step is chosen on the first PROBE_WINDOWS held-out windows (cheap);
    // the kept model is then scored on the whole held-out stream
    int[] probe = java.util.Arrays.copyOf(held, Math.min(held.length, PROBE_WINDOWS * ctx + 1));
    LanguageModelSpec.Training t = spec.training();
    Engine engine = DjlEngines.pytorch(config);
    engine.setRandomSeed((int) t.seed());
    Path log = out.resolve("training-log.jsonl");
    Files.deleteIfExists(log);
    try (NDManager manager = engine.newBaseManager()) {
      LlamaBlock block = new LlamaBlock(spec.model(), vocabulary.tokens().size());
      block.initialize(manager, DataType.FLOAT32, new Shape(1, ctx));
      ParameterStore store = new ParameterStore(manager, false);
      List<Pair<String, ai.djl.nn.Parameter>> params = new ArrayList<>();
      block.getParameters().forEach(params::add);
      Random rnd = new Random(t.seed());
      byte[] best = null;
      double bestLoss = Double.POSITIVE_INFINITY;
      int bestStep = 0;
      double lossSum = 0;
      int lossSteps = 0;
      long[] batch = new long[t.batchSize() * ctx];
      long[] target = new long[t.batchSize() * ctx];
      try (Updater updater =
          new Updater(
              new TrainingOptions.Optimizer.AdamW(
                  t.learningRate(), 0.9, 0.95, 1e-8, t.weightDecay()),
              params,
              manager)) {
        long windowStart = System.nanoTime();
        for (int step = 0; step < t.steps(); step++) {
          for (int i = 0; i < t.batchSize(); i++) {
            int from = rnd.nextInt(train.length - ctx);
            for (int j = 0; j < ctx; j++) {
              batch[i * ctx + j] = train[from + j];
              target[i * ctx + j] = train[from + j + 1];
            }
          }
          float rate = (float) t.rateAt(step);
          try (NDManager bm = manager.newSubManager()) {
            NDArray x = bm.create(batch, new Shape(t.batchSize(), ctx));
            NDArray y = bm.create(target, new Shape(t.batchSize(), ctx));
            try (GradientCollector gc = engine.newGradientCollector()) {
              NDArray logits = block.forward(store, new NDList(x), true).singletonOrThrow();
              NDArray loss = crossEntropy(logits, y, vocabulary.tokens().size());
              gc.backward(loss);
              lossSum += loss.getFloat();
              lossSteps++;
            }
            updater.step(rate);
          }
          boolean last = step + 1 == t.steps();
          if ((step + 1) % t.evalEvery() == 0 || last) {
            double[] ev = evaluate(block, store, manager, probe, ctx, t.batchSize());
            double secs = (System.nanoTime() - windowStart) / 1e9;
            double tokensPerSecond = (double) lossSteps * t.batchSize() * ctx / secs;
            ObjectNode line = TrainJson.mapper().createObjectNode();
            line.put("step", step + 1);
            line.put("train_loss", lossSum / lossSteps);
            line.put("probe_loss", ev[0]);
            line.put("probe_perplexity", Math.exp(ev[0]));
            line.put("learning_rate", rate);
            line.put("tokens_per_second", Math.round(tokensPerSecond));
            line.put("elapsed_seconds", Math.round((System.nanoTime() - started) / 1e7) / 100.0);
            Files.writeString(
                log,
                TrainJson.writeCompact(line) + "\n",
                StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
            if (progress != null) {
              progress.printf(
                  Locale.ROOT,
                  "%s: step %d/%d  train loss %.3f  held-out (probe) perplexity %.2f  %.0f tokens/s%n",
                  spec.name(),
                  step + 1,
                  t.steps(),
                  lossSum / lossSteps,
                  Math.exp(ev[0]),
                  tokensPerSecond);
            }
            if (ev[0] < bestLoss) {
              bestLoss = ev[0];
              bestStep = step + 1;
              best = ModelTrainer.paramsOf(block);
            }
            lossSum = 0;
            lossSteps = 0;
            windowStart = System.nanoTime();
          }
        }
      }
      ModelTrainer.load(block, manager, best);
      double probeLoss = bestLoss;
      bestLoss = evaluate(block, store, manager, held, ctx, t.batchSize())[0];
      AtomicFiles.write(out.resolve(TrainedLanguageModel.PARAMS), best);
      double seconds = (System.nanoTime() - started) / 1e9;
      Result r =
          new Result(
              block.parameterCount(),
              vocabulary.tokens().size(),
              train.length,
              held.length,
              bestStep,
              Math.exp(bestLoss),
              seconds);
      ObjectNode m = TrainJson.mapper().createObjectNode();
      m.put("name", spec.name());
      m.put("task", LanguageModelSpec.TASK);
      m.put("parameters", r.parameters());
      m.put("vocab_size", r.vocabSize());
      m.put("corpus", corpus.name());
      m.put("corpus_sha256", corpus.digest());
      m.put("train_documents", corpus.train().size());
      m.put("held_out_documents", corpus.heldOut().size());
      m.put("train_tokens", r.trainTokens());
      m.put("held_out_tokens", r.heldOutTokens());
      m.put("steps", t.steps());
      m.put("best_step", r.bestStep());
      m.put("held_out_loss", bestLoss);
      m.put("probe_loss", probeLoss);
      m.put("held_out_perplexity", r.heldOutPerplexity());
      m.put("bits_per_byte", bitsPerByte(bestLoss, held.length, corpus.heldOut()));
      m.put("seed", t.seed());
      m.put("threads", config.intraOpThreads());
      m.put("training_seconds", Math.round(seconds * 10) / 10.0);
      AtomicFiles.write(
          out.resolve("metrics.json"), TrainJson.write(m).getBytes(StandardCharsets.UTF_8));
      return r;
    }
  }

  /** Held-out loss per byte of text, in bits: comparable across tokenizers. */
  private static double bitsPerByte(double lossPerToken, int tokens, List<String> docs) {
    long bytes = 0;
    for (String d : docs) {
      bytes += d.getBytes(StandardCharsets.UTF_8).length;
    }
    return lossPerToken * tokens / Math.max(1, bytes) / Math.log(2);
  }

  static int[] stream(HuggingFaceTokenizer tok, List<String> docs, int eos) {
    List<long[]> parts = new ArrayList<>();
    int n = 0;
    for (String d : docs) {
      long[] ids = tok.encode(d).getIds();
      parts.add(ids);
      n += ids.length + 1;
    }
    int[] out = new int[n];
    int i = 0;
    for (long[] ids : parts) {
      for (long id : ids) {
        out[i++] = (int) id;
      }
      out[i++] = eos;
    }
    return out;
  }

  static NDArray crossEntropy(NDArray logits, NDArray targets, int vocab) {
    NDArray logp = logits.logSoftmax(-1);
    return logp.mul(targets.oneHot(vocab)).sum(new int[] {-1}).mean().neg();
  }

  /**
   * Mean next-token loss over consecutive windows of {@code stream} (every token but the first is
   * scored once), and the number of tokens scored.
   */
  static double[] evaluate(
      LlamaBlock block,
      ParameterStore store,
      NDManager manager,
      int[] stream,
      int ctx,
      int batchSize) {
    int windows = (stream.length - 1) / ctx;
    double sum = 0;
    long count = 0;
    for (int w0 = 0; w0 < windows; w0 += batchSize) {
      int b = Math.min(batchSize, windows - w0);
      long[] x = new long[b * ctx];
      long[] y = new long[b * ctx];
      for (int i = 0; i < b; i++) {
        int from = (w0 + i) * ctx;
        for (int j = 0; j < ctx; j++) {
          x[i * ctx + j] = stream[from + j];
          y[i * ctx + j] = stream[from + j + 1];
        }
      }
      try (NDManager m = manager.newSubManager()) {
        NDArray logits =
            block
                .forward(store, new NDList(m.create(x, new Shape(b, ctx))), false)
                .singletonOrThrow();
        NDArray loss = crossEntropy(logits, m.create(y, new Shape(b, ctx)), block.vocab());
        sum += loss.getFloat() * b * ctx;
        count += (long) b * ctx;
      }
    }
    return new double[] {sum / count, count};
  }
}
