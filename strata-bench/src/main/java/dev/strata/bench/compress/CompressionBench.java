package dev.strata.bench.compress;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strata.compress.eval.OutputAgreement;
import dev.strata.compress.eval.SentenceEmbeddings;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A compressed model against its original, side by side in one JVM: file size, and ONNX Runtime
 * latency on one thread at batch 1 and batch 64 (rounds alternate between the models, the median
 * round is reported), and for text encoders the agreement of the sentence embeddings with the
 * original's. One JSON line per compressed model.
 */
@Command(name = "compression-bench", mixinStandardHelpOptions = true)
public final class CompressionBench implements Callable<Integer> {
  @Option(names = "--original", required = true, description = "The original model.")
  Path original;

  @Option(
      names = "--compressed",
      required = true,
      split = ",",
      description = "Compressed models (name=file), compared with the original.")
  Map<String, Path> compressed;

  @Option(names = "--sentences", description = "Text input: one sentence per line.")
  Path sentences;

  @Option(names = "--tokenizer", description = "The text model's tokenizer.json.")
  Path tokenizer;

  @Option(names = "--rounds", defaultValue = "5", description = "Timed rounds per model.")
  int rounds;

  @Option(names = "--seconds", defaultValue = "1.0", description = "Seconds per timed round.")
  double seconds;

  public static void main(String[] args) {
    System.exit(new CommandLine(new CompressionBench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    ObjectMapper json = new ObjectMapper();
    List<String> texts =
        sentences == null
            ? List.of()
            : Files.readAllLines(sentences).stream()
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .toList();
    Map<Integer, Map<String, OnnxTensor>> inputs = new HashMap<>();
    for (int batch : new int[] {1, 64}) {
      inputs.put(batch, sentences == null ? images(env, batch) : tokens(env, texts, batch));
    }
    List<float[]> reference = null;
    if (sentences != null) {
      try (SentenceEmbeddings e = new SentenceEmbeddings(tokenizer)) {
        reference = e.embed(Files.readAllBytes(original), texts, 2);
      }
    }
    for (Map.Entry<String, Path> c : compressed.entrySet()) {
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("bench", "compression");
      line.put("model", c.getKey());
      line.put("original_bytes", Files.size(original));
      line.put("compressed_bytes", Files.size(c.getValue()));
      line.put("size_ratio", (double) Files.size(original) / Files.size(c.getValue()));
      for (int batch : new int[] {1, 64}) {
        double[] us = time(env, List.of(original, c.getValue()), inputs.get(batch));
        line.put("batch" + batch + "_original_us", us[0]);
        line.put("batch" + batch + "_compressed_us", us[1]);
        line.put("batch" + batch + "_speedup", us[0] / us[1]);
      }
      if (reference != null) {
        try (SentenceEmbeddings e = new SentenceEmbeddings(tokenizer)) {
          List<float[]> out = e.embed(Files.readAllBytes(c.getValue()), texts, 2);
          OutputAgreement.Builder b = new OutputAgreement.Builder();
          for (int i = 0; i < out.size(); i++) {
            b.add(reference.get(i), out.get(i));
          }
          OutputAgreement a = b.build();
          line.put("sentences", a.samples());
          line.put("mean_cosine", a.meanCosine());
          line.put("min_cosine", a.minCosine());
          line.put("max_abs_error", a.maxAbsError());
        }
      }
      System.out.println(json.writeValueAsString(line));
    }
    return 0;
  }

  /** Median microseconds per run of each model over alternating rounds, on one thread. */
  private double[] time(OrtEnvironment env, List<Path> models, Map<String, OnnxTensor> in)
      throws Exception {
    List<OrtSession> sessions = new ArrayList<>();
    try {
      for (Path m : models) {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setIntraOpNumThreads(1);
        o.setInterOpNumThreads(1);
        sessions.add(env.createSession(m.toString(), o));
      }
      double[][] t = new double[models.size()][rounds];
      for (int r = -1; r < rounds; r++) { // round -1 warms up
        for (int k = 0; k < sessions.size(); k++) {
          OrtSession s = sessions.get(k);
          long end = System.nanoTime() + (long) (seconds * (r < 0 ? 0.5 : 1) * 1e9);
          long start = System.nanoTime();
          int n = 0;
          do {
            s.run(in).close();
            n++;
          } while (System.nanoTime() < end);
          if (r >= 0) {
            t[k][r] = (System.nanoTime() - start) / 1e3 / n;
          }
        }
      }
      double[] med = new double[models.size()];
      for (int k = 0; k < med.length; k++) {
        Arrays.sort(t[k]);
        med[k] = t[k][rounds / 2];
      }
      return med;
    } finally {
      for (OrtSession s : sessions) {
        s.close();
      }
    }
  }

  private static Map<String, OnnxTensor> images(OrtEnvironment env, int batch) throws Exception {
    float[] x = new float[batch * 784];
    Random r = new Random(1);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    return Map.of(
        "input", OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {batch, 1, 28, 28}));
  }

  private Map<String, OnnxTensor> tokens(OrtEnvironment env, List<String> texts, int batch)
      throws Exception {
    try (HuggingFaceTokenizer t =
        HuggingFaceTokenizer.builder()
            .optTokenizerPath(tokenizer)
            .optPadding(false)
            .optTruncation(true)
            .build()) {
      List<Encoding> enc = new ArrayList<>();
      int length = 0;
      for (int i = 0; i < batch; i++) {
        Encoding e = t.encode(texts.get(i % texts.size()));
        enc.add(e);
        length = Math.max(length, e.getIds().length);
      }
      long[] ids = new long[batch * length];
      long[] mask = new long[batch * length];
      for (int i = 0; i < batch; i++) {
        long[] e = enc.get(i).getIds();
        System.arraycopy(e, 0, ids, i * length, e.length);
        Arrays.fill(mask, i * length, i * length + e.length, 1);
      }
      long[] shape = {batch, length};
      return Map.of(
          "input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape),
          "attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape),
          "token_type_ids",
              OnnxTensor.createTensor(env, LongBuffer.wrap(new long[batch * length]), shape));
    }
  }
}
