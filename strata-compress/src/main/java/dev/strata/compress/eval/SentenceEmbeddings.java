package dev.strata.compress.eval;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import java.io.IOException;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Sentence embeddings of a transformer encoder in ONNX Runtime, as {@code /v1/embeddings} computes
 * them for such a model by default: tokenized by the model's {@code tokenizer.json}, the token
 * embeddings averaged over the attention mask and L2-normalised.
 */
public final class SentenceEmbeddings implements AutoCloseable {
  private static final int BATCH = 32;
  private final HuggingFaceTokenizer tokenizer;

  public SentenceEmbeddings(Path tokenizerJson) throws IOException {
    dev.strata.train.engine.DjlEngines.stayOffline();
    this.tokenizer =
        HuggingFaceTokenizer.builder()
            .optTokenizerPath(tokenizerJson)
            .optAddSpecialTokens(true)
            .optPadding(false)
            .optTruncation(true)
            .optMaxLength(512)
            .build();
  }

  /** The embeddings of these sentences by this model, at this many threads. */
  public List<float[]> embed(byte[] model, List<String> sentences, int threads) {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    List<float[]> out = new ArrayList<>(sentences.size());
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setIntraOpNumThreads(threads);
      try (OrtSession s = env.createSession(model, opts)) {
        for (int from = 0; from < sentences.size(); from += BATCH) {
          out.addAll(
              batch(env, s, sentences.subList(from, Math.min(sentences.size(), from + BATCH))));
        }
      }
    } catch (OrtException e) {
      throw new StrataException(ErrorCode.INTERNAL, "ONNX Runtime failed: " + e.getMessage(), e);
    }
    return out;
  }

  private List<float[]> batch(OrtEnvironment env, OrtSession s, List<String> sentences)
      throws OrtException {
    List<Encoding> enc = new ArrayList<>();
    int length = 0;
    for (String t : sentences) {
      Encoding e = tokenizer.encode(t);
      enc.add(e);
      length = Math.max(length, e.getIds().length);
    }
    int n = enc.size();
    long[] ids = new long[n * length];
    long[] mask = new long[n * length];
    long[] types = new long[n * length];
    for (int i = 0; i < n; i++) {
      long[] e = enc.get(i).getIds();
      System.arraycopy(e, 0, ids, i * length, e.length);
      for (int t = 0; t < e.length; t++) {
        mask[i * length + t] = 1;
      }
    }
    long[] shape = {n, length};
    Map<String, OnnxTensor> in = new HashMap<>();
    try {
      for (String name : s.getInputNames()) {
        long[] v =
            switch (name) {
              case "input_ids" -> ids;
              case "attention_mask" -> mask;
              case "token_type_ids" -> types;
              default ->
                  throw StrataException.invalid(
                      "model input '%s' (expected: input_ids, attention_mask, token_type_ids)",
                      name);
            };
        in.put(name, OnnxTensor.createTensor(env, LongBuffer.wrap(v), shape));
      }
      try (OrtSession.Result r = s.run(in)) {
        float[][][] h = (float[][][]) r.get(0).getValue();
        List<float[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          int dim = h[i][0].length;
          float[] v = new float[dim];
          int count = 0;
          for (int t = 0; t < length; t++) {
            if (mask[i * length + t] == 0) {
              continue;
            }
            count++;
            for (int d = 0; d < dim; d++) {
              v[d] += h[i][t][d];
            }
          }
          double norm = 0;
          for (int d = 0; d < dim; d++) {
            v[d] /= Math.max(1, count);
            norm += (double) v[d] * v[d];
          }
          float inv = (float) (1 / Math.max(Math.sqrt(norm), 1e-12));
          for (int d = 0; d < dim; d++) {
            v[d] *= inv;
          }
          out.add(v);
        }
        return out;
      }
    } finally {
      in.values().forEach(OnnxTensor::close);
    }
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
