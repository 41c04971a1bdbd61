package dev.strata.compress.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import dev.strata.compress.eval.OutputAgreement;
import dev.strata.compress.eval.SentenceEmbeddings;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dynamic int8 of a transformer nobody here built: all-MiniLM-L6-v2 from LangChain4j's jar. */
class DynamicQuantizerTest {
  static final Path SENTENCES = Path.of("..", "data", "sentences", "kjv-matthew-1000.txt");

  static Path resource(String name, Path dir) throws Exception {
    Path p = dir.resolve(name);
    try (InputStream in = DynamicQuantizerTest.class.getClassLoader().getResourceAsStream(name)) {
      Files.copy(in, p);
    }
    return p;
  }

  @Test
  void embeddingsOfTheQuantizedMiniLmAgreeWithTheOriginal(@TempDir Path dir) throws Exception {
    Path onnx = resource("all-minilm-l6-v2.onnx", dir);
    Path tokenizer = resource("all-minilm-l6-v2-tokenizer.json", dir);
    ModelProto model = ModelProto.parseFrom(Files.readAllBytes(onnx));
    DynamicQuantizer.Result r =
        DynamicQuantizer.quantize(model, new DynamicQuantizer.Options(true, Set.of()));
    // the 36 weight MatMuls of 6 layers (Q, K, V, output, 2 feed-forward), not the 12 attention
    // products of two activations; the word and position tables (token types: too small)
    assertThat(r.matMuls()).hasSize(36);
    assertThat(r.gathers()).hasSize(2);
    assertThat(r.model().getGraph().getNodeList())
        .extracting(NodeProto::getOpType)
        .contains("DynamicQuantizeLinear", "MatMulInteger");
    // one DynamicQuantizeLinear per activation, shared by the MatMuls that read it
    assertThat(
            r.model().getGraph().getNodeList().stream()
                .filter(n -> n.getOpType().equals("DynamicQuantizeLinear"))
                .count())
        .isEqualTo(24);
    assertThat((double) model.getSerializedSize() / r.model().getSerializedSize())
        .isGreaterThan(3.5);

    List<String> sentences = Files.readAllLines(SENTENCES).subList(0, 64);
    try (SentenceEmbeddings e = new SentenceEmbeddings(tokenizer)) {
      List<float[]> a = e.embed(model.toByteArray(), sentences, 2);
      List<float[]> b = e.embed(r.model().toByteArray(), sentences, 2);
      OutputAgreement.Builder agreement = new OutputAgreement.Builder();
      for (int i = 0; i < a.size(); i++) {
        agreement.add(a.get(i), b.get(i));
      }
      OutputAgreement g = agreement.build();
      assertThat(g.samples()).isEqualTo(64);
      assertThat(g.meanCosine()).isGreaterThan(0.99);
      assertThat(g.minCosine()).isGreaterThan(0.97);
    }
  }
}
