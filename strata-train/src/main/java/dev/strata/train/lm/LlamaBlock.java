package dev.strata.train.lm;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.ConstantInitializer;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import dev.strata.llm.gguf.LlamaGguf;
import java.util.ArrayList;
import java.util.List;

/**
 * A decoder-only transformer of llama's architecture in DJL, computed exactly as llama.cpp computes
 * its {@code llama} models, so that the GGUF export generates what this generates: pre-norm blocks
 * with RMSNorm, rotary position embeddings that rotate adjacent pairs of each head's dimensions
 * (llama.cpp's "normal" rope; no permutation of the query and key weights is needed), causal
 * self-attention with optional grouped key/value heads, a SwiGLU feed-forward, a final RMSNorm and
 * an output projection tied to the token embedding.
 *
 * <p>Parameters carry llama.cpp's tensor names ({@code token_embd.weight}, {@code
 * blk.N.attn_q.weight}, …) with PyTorch's layout ({@code [out, in]}), which is ggml's layout with
 * the dimensions reversed. Input: token ids {@code [batch, time]}; output: logits {@code [batch,
 * time, vocab]}.
 */
public final class LlamaBlock extends AbstractBlock {
  private static final byte VERSION = 1;

  private final LlamaGguf.Spec spec;
  private final int vocab;
  private final Parameter embedding;
  private final List<Layer> layers = new ArrayList<>();
  private final Parameter outputNorm;

  private record Layer(
      Parameter attnNorm,
      Parameter q,
      Parameter k,
      Parameter v,
      Parameter o,
      Parameter ffnNorm,
      Parameter gate,
      Parameter up,
      Parameter down) {}

  public LlamaBlock(LlamaGguf.Spec spec, int vocab) {
    super(VERSION);
    this.spec = spec;
    this.vocab = vocab;
    int e = spec.embedding();
    int kv = spec.kvHeads() * spec.headDim();
    int f = spec.feedForward();
    // GPT-2's initialisation: N(0, 0.02), the projections into the residual stream scaled down
    float std = 0.02f;
    float residual = (float) (std / Math.sqrt(2.0 * spec.layers()));
    embedding = weight("token_embd.weight", new Shape(vocab, e), std);
    for (int l = 0; l < spec.layers(); l++) {
      String p = "blk." + l + ".";
      layers.add(
          new Layer(
              norm(p + "attn_norm.weight", e),
              weight(p + "attn_q.weight", new Shape(e, e), std),
              weight(p + "attn_k.weight", new Shape(kv, e), std),
              weight(p + "attn_v.weight", new Shape(kv, e), std),
              weight(p + "attn_output.weight", new Shape(e, e), residual),
              norm(p + "ffn_norm.weight", e),
              weight(p + "ffn_gate.weight", new Shape(f, e), std),
              weight(p + "ffn_up.weight", new Shape(f, e), std),
              weight(p + "ffn_down.weight", new Shape(e, f), residual)));
    }
    outputNorm = norm("output_norm.weight", e);
  }

  public LlamaGguf.Spec spec() {
    return spec;
  }

  public int vocab() {
    return vocab;
  }

  /** The number of trained values. */
  public long parameterCount() {
    long n = 0;
    for (Parameter p : parameters.values()) {
      n += p.getShape().size();
    }
    return n;
  }

  private Parameter weight(String name, Shape shape, float std) {
    return addParameter(
        Parameter.builder()
            .setName(name)
            .setType(Parameter.Type.WEIGHT)
            .optShape(shape)
            .optInitializer(new NormalInitializer(std))
            .build());
  }

  private Parameter norm(String name, int width) {
    return addParameter(
        Parameter.builder()
            .setName(name)
            .setType(Parameter.Type.GAMMA)
            .optShape(new Shape(width))
            .optInitializer(new ConstantInitializer(1f))
            .build());
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray ids = inputs.singletonOrThrow();
    Device dev = ids.getDevice();
    NDManager m = ids.getManager();
    long b = ids.getShape().get(0);
    int t = (int) ids.getShape().get(1);
    int e = spec.embedding();
    int hd = spec.headDim();
    NDArray emb = ps.getValue(embedding, dev, training);
    NDArray x = ids.oneHot(vocab).matMul(emb);

    // rotary tables [1, time, 1, hd/2], angles as llama.cpp computes them (in float)
    float[] cos = new float[t * hd / 2];
    float[] sin = new float[t * hd / 2];
    float scale = (float) Math.pow(spec.ropeTheta(), -2.0 / hd);
    for (int pos = 0; pos < t; pos++) {
      float theta = pos;
      for (int i = 0; i < hd / 2; i++) {
        cos[pos * hd / 2 + i] = (float) Math.cos(theta);
        sin[pos * hd / 2 + i] = (float) Math.sin(theta);
        theta *= scale;
      }
    }
    NDArray cosT = m.create(cos, new Shape(1, t, 1, hd / 2));
    NDArray sinT = m.create(sin, new Shape(1, t, 1, hd / 2));
    float[] mask = new float[t * t];
    for (int i = 0; i < t; i++) {
      for (int j = i + 1; j < t; j++) {
        mask[i * t + j] = Float.NEGATIVE_INFINITY;
      }
    }
    NDArray causal = m.create(mask, new Shape(t, t));
    int group = spec.heads() / spec.kvHeads();

    for (Layer layer : layers) {
      NDArray h = rms(x, ps.getValue(layer.attnNorm(), dev, training));
      NDArray q = linear(h, ps.getValue(layer.q(), dev, training)).reshape(b, t, spec.heads(), hd);
      NDArray k =
          linear(h, ps.getValue(layer.k(), dev, training)).reshape(b, t, spec.kvHeads(), hd);
      NDArray v =
          linear(h, ps.getValue(layer.v(), dev, training)).reshape(b, t, spec.kvHeads(), hd);
      q = rope(q, cosT, sinT).transpose(0, 2, 1, 3);
      k = rope(k, cosT, sinT).transpose(0, 2, 1, 3);
      v = v.transpose(0, 2, 1, 3);
      if (group > 1) {
        k = k.repeat(1, group);
        v = v.repeat(1, group);
      }
      NDArray att =
          q.matMul(k.transpose(0, 1, 3, 2))
              .mul((float) (1 / Math.sqrt(hd)))
              .add(causal)
              .softmax(-1);
      NDArray a = att.matMul(v).transpose(0, 2, 1, 3).reshape(b, t, e);
      x = x.add(linear(a, ps.getValue(layer.o(), dev, training)));
      NDArray h2 = rms(x, ps.getValue(layer.ffnNorm(), dev, training));
      NDArray g = linear(h2, ps.getValue(layer.gate(), dev, training));
      NDArray u = linear(h2, ps.getValue(layer.up(), dev, training));
      x =
          x.add(
              linear(
                  g.mul(Activation.sigmoid(g)).mul(u), ps.getValue(layer.down(), dev, training)));
    }
    x = rms(x, ps.getValue(outputNorm, dev, training));
    return new NDList(x.matMul(emb.transpose()));
  }

  private NDArray rms(NDArray x, NDArray w) {
    return x.div(x.square().mean(new int[] {-1}, true).add(spec.rmsEpsilon()).sqrt()).mul(w);
  }

  private static NDArray linear(NDArray x, NDArray w) {
    return x.matMul(w.transpose());
  }

  /** Rotates each adjacent pair (2i, 2i+1) of a head's dimensions by its position's angle. */
  private static NDArray rope(NDArray x, NDArray cos, NDArray sin) {
    Shape s = x.getShape();
    NDList pair = x.reshape(s.get(0), s.get(1), s.get(2), s.get(3) / 2, 2).split(2, 4);
    NDArray x0 = pair.get(0).squeeze(4);
    NDArray x1 = pair.get(1).squeeze(4);
    NDArray r0 = x0.mul(cos).sub(x1.mul(sin));
    NDArray r1 = x0.mul(sin).add(x1.mul(cos));
    return NDArrays.stack(new NDList(r0, r1), 4).reshape(s);
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {new Shape(inputShapes[0].get(0), inputShapes[0].get(1), vocab)};
  }

  /** The parameter of llama.cpp's name {@code name}. */
  public Parameter parameter(String name) {
    Parameter p = parameters.get(name);
    if (p == null) {
      throw new IllegalArgumentException("no parameter " + name);
    }
    return p;
  }

  /** llama.cpp's names of this model's tensors (the output projection is tied: not listed). */
  public List<String> names() {
    return List.copyOf(parameters.keySet());
  }
}
