package dev.strata.compress.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.strata.compress.graph.Graph;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BatchNormFoldingTest {
  @Test
  void foldedConvolutionComputesTheSameFunction() throws Exception {
    ModelProto model = SmallNets.convBnNet(3);
    Graph g = new Graph(model);
    assertThat(BatchNormFolding.fold(g)).isEqualTo(1);
    ModelProto folded = g.build();
    assertThat(folded.getGraph().getNodeList())
        .noneMatch(n -> n.getOpType().equals("BatchNormalization"));
    assertThat(folded.getGraph().getInitializerList())
        .extracting(t -> t.getName())
        .doesNotContain("gamma", "beta", "mean", "var", "w");

    float[] x = SmallNets.gaussian(new Random(9), 16 * 64, 1);
    long[] shape = {16, 1, 8, 8};
    float[][] a = SmallNets.run(model, "input", x, shape);
    float[][] b = SmallNets.run(folded, "input", x, shape);
    for (int i = 0; i < a.length; i++) {
      for (int k = 0; k < a[i].length; k++) {
        assertThat(b[i][k]).isCloseTo(a[i][k], org.assertj.core.data.Offset.offset(1e-5f));
      }
    }
  }

  @Test
  void aConvolutionWhoseOutputIsAlsoReadElsewhereIsLeftAlone() {
    ModelProto model = SmallNets.convBnNet(3);
    // make the convolution's output a graph output too: folding would change what it gives
    String conv = model.getGraph().getNode(0).getOutput(0);
    ModelProto twoReaders = Graph.withOutputs(model, java.util.List.of(conv));
    Graph g = new Graph(twoReaders);
    assertThat(BatchNormFolding.fold(g)).isZero();
  }
}
