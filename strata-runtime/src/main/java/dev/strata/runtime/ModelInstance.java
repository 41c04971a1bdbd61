package dev.strata.runtime;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.strata.core.DataType;
import dev.strata.core.ErrorCode;
import dev.strata.core.InferenceResponse;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import dev.strata.core.TensorSpec;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ONNX Runtime session of a version and the worker thread that feeds it: take a batch from the
 * queue, copy the inputs into this instance's reusable direct buffers (ONNX Runtime reads them in
 * place; a request's input in several network buffers is copied straight from them), run, copy each
 * output out once and hand every request a slice of it, complete the futures, hand the requests'
 * inputs back. Only the worker touches the session, the buffers and the scratch state.
 */
final class ModelInstance implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ModelInstance.class);

  private final ModelVersion version;
  private final ModelSignature signature;
  private final OrtEnvironment env;
  private final OrtSession session;
  private final OrtSession.RunOptions runOptions;
  private final String name;
  private final String[] inputNames;
  private final DataType[] inputTypes;
  private final OnnxJavaType[] inputJavaTypes;
  private final ByteBuffer[] pool;
  private final OnnxTensor[] tensors;
  private final Map<String, OnnxTensor> feed = new HashMap<>();
  private final Map<Long, Set<String>> outputSets = new HashMap<>();
  private final Batch batch;
  private final Batch alone = new Batch(1);
  private final Thread worker;

  private volatile boolean terminating;

  /** Executions so far, warm-up included (written by the running thread only). */
  volatile int runs;

  // Durations of the last run, for the statistics.
  long inputNs;
  long inferNs;
  long outputNs;

  ModelInstance(ModelVersion version, OrtSession session, int index) throws OrtException {
    this.version = version;
    this.signature = version.signature;
    this.env = OrtSessions.environment();
    this.session = session;
    this.runOptions = new OrtSession.RunOptions();
    this.name = "strata-" + signature.model() + "-v" + version.label + "-" + index;
    List<TensorSpec> inputs = signature.inputs();
    this.inputNames = new String[inputs.size()];
    this.inputTypes = new DataType[inputs.size()];
    this.inputJavaTypes = new OnnxJavaType[inputs.size()];
    for (int i = 0; i < inputNames.length; i++) {
      inputNames[i] = inputs.get(i).name();
      inputTypes[i] = inputs.get(i).datatype();
      inputJavaTypes[i] = OrtTensors.javaType(inputTypes[i]);
    }
    this.pool = new ByteBuffer[inputNames.length];
    this.tensors = new OnnxTensor[inputNames.length];
    this.batch = new Batch(version.policy.maxRows);
    this.worker = Thread.ofPlatform().name(name).daemon(true).unstarted(this::loop);
  }

  void start() {
    worker.start();
  }

  private void loop() {
    try {
      while (version.queue.take(batch)) {
        try {
          execute(batch);
        } finally {
          batch.releaseInputs();
          batch.clear();
        }
      }
    } catch (InterruptedException e) {
      LOG.debug("{} interrupted; stopping", name);
    }
  }

  private void execute(Batch b) {
    if (b.size == 0) {
      return;
    }
    long start = System.nanoTime();
    InferenceResponse[] responses;
    try {
      responses = run(b);
    } catch (OrtException e) {
      if (!terminating && b.size > 1 && OrtSessions.causedByRequest(e)) {
        executeAlone(b);
      } else {
        version.failBatch(b, failure(e));
      }
      return;
    } catch (StrataException e) {
      version.failBatch(b, e);
      return;
    } catch (RuntimeException | Error e) {
      // A bug or an exhausted resource: the requests get an answer and the worker carries on.
      LOG.error("{}: execution failed", name, e);
      version.failBatch(b, StrataException.internal("execution failed: " + e, e));
      return;
    }
    version.completeBatch(b, responses, start, this);
  }

  /**
   * Runs each request of a batch that failed on a request's values or shapes by itself, so only the
   * culprit fails and the others get their answers.
   */
  private void executeAlone(Batch b) {
    Batch one = alone;
    for (int k = 0; k < b.size; k++) {
      one.add(b.items[k]);
      try {
        execute(one);
      } finally {
        one.clear();
      }
    }
  }

  private StrataException failure(OrtException e) {
    String where = "model '" + signature.model() + "' version " + version.label;
    if (terminating) {
      return new StrataException(
          ErrorCode.UNAVAILABLE, where + ": stopped by the shutdown before it finished", e);
    }
    if (OrtSessions.causedByRequest(e)) {
      return new StrataException(
          ErrorCode.INVALID_ARGUMENT,
          where
              + ": the request's values or shapes do not fit the model: "
              + OrtSessions.shortMessage(e),
          e);
    }
    return new StrataException(OrtSessions.errorCode(e), where + ": " + e.getMessage(), e);
  }

  /** Runs one batch and returns each request's response, in batch order. */
  InferenceResponse[] run(Batch b) throws OrtException {
    long t0 = System.nanoTime();
    long mask = outputMask(b);
    OrtSession.Result result = null;
    int created = 0;
    try {
      for (int i = 0; i < inputNames.length; i++) {
        tensors[i] = input(i, b);
        created++;
        feed.put(inputNames[i], tensors[i]);
      }
      long t1 = System.nanoTime();
      result = session.run(feed, outputSet(mask), runOptions);
      long t2 = System.nanoTime();
      InferenceResponse[] responses = split(result, b, mask);
      long t3 = System.nanoTime();
      inputNs = t1 - t0;
      inferNs = t2 - t1;
      outputNs = t3 - t2;
      runs++;
      return responses;
    } finally {
      if (result != null) {
        result.close();
      }
      for (int i = 0; i < created; i++) {
        tensors[i].close();
        tensors[i] = null;
      }
      feed.clear();
    }
  }

  private OnnxTensor input(int i, Batch b) throws OrtException {
    Tensor first = b.items[0].inputs[i];
    long[] shape = first.shape().toArray();
    if (signature.batching()) {
      shape[0] = b.rows;
    }
    if (inputTypes[i] == DataType.BYTES) {
      String[] values = new String[Math.toIntExact(Shape.of(shape).numElements())];
      int at = 0;
      for (int k = 0; k < b.size; k++) {
        at = OrtTensors.decodeStrings(b.items[k].inputs[i].data(), values, at);
      }
      return OnnxTensor.createTensor(env, values, shape);
    }
    if (b.size == 1 && first.isContiguous()) {
      ByteBuffer data = first.data();
      // Aligned as ONNX Runtime aligns its own buffers: the request's data is read in place.
      if (data.isDirect() && data.alignmentOffset(0, OrtTensors.ALIGNMENT) == 0) {
        return OrtTensors.wrap(env, data, shape, inputJavaTypes[i]); // no copy at all
      }
    }
    long bytes = 0;
    for (int k = 0; k < b.size; k++) {
      bytes += b.items[k].inputs[i].byteSize();
    }
    ByteBuffer buffer = OrtTensors.ensureDirect(pool[i], Math.toIntExact(bytes));
    pool[i] = buffer;
    for (int k = 0; k < b.size; k++) {
      b.items[k].inputs[i].copyTo(buffer); // the one copy of a request's input
    }
    buffer.flip();
    return OrtTensors.wrap(env, buffer, shape, inputJavaTypes[i]);
  }

  /** The served outputs any request of the batch asks for, as bits; -1 for all of them. */
  private long outputMask(Batch b) {
    int count = signature.outputs().size();
    if (count > 63) {
      return -1;
    }
    long mask = 0;
    for (int k = 0; k < b.size; k++) {
      int[] asked = b.items[k].outputs;
      if (asked == null) {
        return -1;
      }
      for (int o : asked) {
        mask |= 1L << o;
      }
    }
    return mask == (1L << count) - 1 ? -1 : mask;
  }

  private Set<String> outputSet(long mask) {
    if (mask == -1) {
      return signature.outputNames();
    }
    Set<String> set = outputSets.get(mask);
    if (set == null) {
      Set<String> names = new LinkedHashSet<>();
      for (int o = 0; o < signature.outputs().size(); o++) {
        if ((mask & (1L << o)) != 0) {
          names.add(signature.outputs().get(o).name());
        }
      }
      set = Set.copyOf(names);
      outputSets.put(mask, set);
    }
    return set;
  }

  private InferenceResponse[] split(OrtSession.Result result, Batch b, long mask)
      throws OrtException {
    List<TensorSpec> outputs = signature.outputs();
    Tensor[][] parts = new Tensor[b.size][outputs.size()];
    for (int o = 0; o < outputs.size(); o++) {
      if (mask != -1 && (mask & (1L << o)) == 0) {
        continue;
      }
      TensorSpec spec = outputs.get(o);
      OnnxValue value =
          result
              .get(spec.name())
              .orElseThrow(() -> new IllegalStateException("no output " + spec.name()));
      splitOutput(spec, (OnnxTensor) value, b, parts, o);
    }
    InferenceResponse[] responses = new InferenceResponse[b.size];
    for (int k = 0; k < b.size; k++) {
      responses[k] = response(b.items[k], parts[k]);
    }
    return responses;
  }

  private void splitOutput(TensorSpec spec, OnnxTensor value, Batch b, Tensor[][] parts, int o)
      throws OrtException {
    long[] shape = value.getInfo().getShape();
    if (!signature.batching()) {
      Shape s = Shape.of(shape);
      parts[0][o] =
          spec.datatype() == DataType.BYTES
              ? new Tensor(
                  spec.name(),
                  DataType.BYTES,
                  s,
                  OrtTensors.encodeStrings(OrtTensors.strings(value), 0, (int) s.numElements()))
              : new Tensor(spec.name(), spec.datatype(), s, value.getByteBuffer());
      return;
    }
    if (shape.length == 0 || shape[0] != b.rows) {
      throw new StrataException(
          ErrorCode.INTERNAL,
          String.format(
              "output '%s' has shape %s for a batch of %d (expected: the batch size first)",
              spec.name(), Arrays.toString(shape), b.rows));
    }
    long perRow = 1;
    for (int d = 1; d < shape.length; d++) {
      perRow *= shape[d];
    }
    if (spec.datatype() == DataType.BYTES) {
      String[] all = OrtTensors.strings(value);
      int row = 0;
      for (int k = 0; k < b.size; k++) {
        int rows = b.items[k].rows;
        shape[0] = rows;
        int from = Math.toIntExact(row * perRow);
        int to = Math.toIntExact((row + rows) * perRow);
        parts[k][o] =
            new Tensor(
                spec.name(),
                DataType.BYTES,
                Shape.of(shape),
                OrtTensors.encodeStrings(all, from, to));
        row += rows;
      }
      return;
    }
    ByteBuffer data = value.getByteBuffer(); // the one copy out of native memory
    int rowBytes = Math.toIntExact(perRow * spec.datatype().byteSize());
    int offset = 0;
    for (int k = 0; k < b.size; k++) {
      int rows = b.items[k].rows;
      shape[0] = rows;
      int length = rows * rowBytes;
      parts[k][o] =
          new Tensor(spec.name(), spec.datatype(), Shape.of(shape), data.slice(offset, length));
      offset += length;
    }
  }

  private InferenceResponse response(Pending p, Tensor[] parts) {
    List<Tensor> out;
    if (p.outputs == null) {
      out = parts.length == 1 ? List.of(parts[0]) : List.of(parts);
    } else {
      out = new ArrayList<>(p.outputs.length);
      for (int j = 0; j < p.outputs.length; j++) {
        int o = p.outputs[j];
        Tensor t = parts[o];
        if (p.classification != null && p.classification[j] > 0) {
          t =
              Classifier.classify(
                  t, p.classification[j], signature.labels(o), signature.batching());
        }
        out.add(t);
      }
    }
    return new InferenceResponse(signature.model(), version.label, p.request.id(), out, Map.of());
  }

  /** Asks a running execution to stop and the worker to leave (shutdown past its deadline). */
  void terminate() {
    terminating = true;
    try {
      runOptions.setTerminate(true);
    } catch (OrtException e) {
      LOG.warn("{}: cannot ask ONNX Runtime to stop: {}", name, e.getMessage());
    }
    worker.interrupt();
  }

  /** Waits for the worker to leave; true when it has (or never started). */
  boolean join(long deadlineNanos) throws InterruptedException {
    if (worker.getState() == Thread.State.NEW) {
      return true;
    }
    long left = deadlineNanos - System.nanoTime();
    if (left > 0) {
      worker.join(Duration.ofNanos(left));
    }
    return !worker.isAlive();
  }

  /** Whether the session is closed. */
  boolean closed() {
    return closed;
  }

  private volatile boolean closed;

  /**
   * Frees the session. A worker still inside ONNX Runtime would crash the process if its session
   * went away, so a live worker leaves the session open (and logs it).
   */
  @Override
  public void close() {
    if (worker.isAlive()) {
      LOG.error("{}: worker still running; leaving its session open", name);
      return;
    }
    if (closed) {
      return;
    }
    closed = true;
    try {
      session.close();
    } catch (OrtException e) {
      LOG.warn("{}: closing the session failed: {}", name, e.getMessage());
    } finally {
      runOptions.close();
    }
  }
}
