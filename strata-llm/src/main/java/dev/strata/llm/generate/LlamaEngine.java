package dev.strata.llm.generate;

import static java.util.Objects.requireNonNull;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.LogLevel;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.Pair;
import de.kherud.llama.args.LogFormat;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One GGUF model in llama.cpp, through its Java binding ({@code de.kherud:llama}, whose JNI library
 * embeds llama.cpp's server loop): {@code parallel} sequences are decoded together in one batch
 * (continuous batching: a sequence joins and leaves between tokens), each with its own {@code
 * contextPerSequence} tokens of context; generations beyond that wait in a bounded queue, and one
 * more is refused with RESOURCE_EXHAUSTED.
 *
 * <p>Each running generation holds one engine thread, which reads its tokens as llama.cpp produces
 * them; a cancelled generation stops at the next token and its sequence is free for the next one.
 *
 * <p>Token log-probabilities are not offered: the binding (4.2.0) aborts the whole process when
 * asked for them ({@code n_probs}).
 */
public final class LlamaEngine implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LlamaEngine.class);
  private static final AtomicBoolean LOGGER_SET = new AtomicBoolean();

  /**
   * How a model runs.
   *
   * @param parallel sequences decoded together (llama.cpp's slots)
   * @param contextPerSequence the context of each sequence, in tokens (prompt + completion)
   * @param threads CPU threads of the decoder
   * @param queue generations that may wait for a free sequence
   */
  public record Options(int parallel, int contextPerSequence, int threads, int queue) {
    public Options {
      if (parallel < 1 || contextPerSequence < 8 || threads < 1 || queue < 0) {
        throw new IllegalArgumentException(
            "parallel "
                + parallel
                + ", context "
                + contextPerSequence
                + ", threads "
                + threads
                + ", queue "
                + queue);
      }
    }

    public static Options defaults() {
      return new Options(4, 2048, Math.max(1, Runtime.getRuntime().availableProcessors()), 64);
    }
  }

  private final Path file;
  private final Options options;
  private final LlamaModel model;

  /** Guards {@link #inUse}, {@link #waiting} and {@link #closed}. */
  private final Object admission = new Object();

  private int inUse;
  private final ArrayDeque<Job> waiting = new ArrayDeque<>();
  private volatile boolean closed;
  private final Set<Job> active = ConcurrentHashMap.newKeySet();

  /** Threads that wait for a new generation's first token (its prompt being processed). */
  private final ExecutorService prefill;

  /** Generations past their first token, handed to the decode thread. */
  private final LinkedBlockingQueue<Job> handoff = new LinkedBlockingQueue<>();

  private final Thread decoder;

  private LlamaEngine(Path file, Options options, LlamaModel model) {
    this.file = file;
    this.options = options;
    this.model = model;
    this.prefill =
        new ThreadPoolExecutor(
            0,
            options.parallel(),
            30,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            Thread.ofPlatform().name("strata-llm-prompt-", 0).daemon(true).factory());
    this.decoder =
        Thread.ofPlatform().name("strata-llm-decode").daemon(true).unstarted(this::decodeLoop);
    decoder.start();
  }

  /**
   * Loads a GGUF file.
   *
   * @throws StrataException INVALID_ARGUMENT when llama.cpp cannot load it
   */
  public static LlamaEngine open(Path file, Options options) {
    requireNonNull(file, "file");
    requireNonNull(options, "options");
    if (!Files.isRegularFile(file)) {
      throw new StrataException(ErrorCode.NOT_FOUND, "no GGUF file at " + file);
    }
    routeNativeLogs();
    ModelParameters p =
        new ModelParameters()
            .setModel(file.toString())
            .setParallel(options.parallel())
            .setCtxSize(options.parallel() * options.contextPerSequence())
            .setThreads(options.threads())
            .setThreadsBatch(options.threads())
            .enableContBatching()
            .disableContextShift()
            .disableLog(); // the server loop's own lines (per slot, per request) on stderr; model
    // errors still reach the logger
    try {
      LlamaModel m = new LlamaModel(p);
      LOG.info(
          "loaded {} in llama.cpp ({} sequences of {} tokens, {} threads)",
          file,
          options.parallel(),
          options.contextPerSequence(),
          options.threads());
      return new LlamaEngine(file, options, m);
    } catch (RuntimeException e) {
      throw new StrataException(
          ErrorCode.INVALID_ARGUMENT, "llama.cpp cannot load " + file + ": " + e.getMessage());
    }
  }

  private static void routeNativeLogs() {
    if (LOGGER_SET.compareAndSet(false, true)) {
      Logger nativeLog = LoggerFactory.getLogger("llama.cpp");
      LlamaModel.setLogger(
          LogFormat.TEXT,
          (level, message) -> {
            String m = message.strip();
            if (level == LogLevel.ERROR) {
              nativeLog.warn(m);
            } else {
              nativeLog.debug(m);
            }
          });
    }
  }

  public Path file() {
    return file;
  }

  public Options options() {
    return options;
  }

  /** The context of one sequence, in tokens. */
  public int contextLength() {
    return options.contextPerSequence();
  }

  /** The model's tokens for {@code text} (as a prompt is tokenized). */
  public int[] tokenize(String text) {
    return model.encode(text);
  }

  /** Generations running or waiting now. */
  public int load() {
    return active.size();
  }

  /** Generations waiting for a free sequence. */
  public int queued() {
    synchronized (admission) {
      return waiting.size();
    }
  }

  /**
   * The prompt a chat gives under the model's chat template (from its GGUF metadata; llama.cpp
   * falls back to ChatML when it has none it knows).
   *
   * @param messages (role, content) pairs; a leading {@code system} one is the system prompt
   */
  public String chatPrompt(List<Pair<String, String>> messages) {
    String system = "";
    List<Pair<String, String>> rest = new ArrayList<>(messages);
    if (!rest.isEmpty() && rest.getFirst().getKey().equals("system")) {
      system = rest.removeFirst().getValue();
    }
    InferenceParameters p = new InferenceParameters("").setMessages(system, rest);
    return model.applyTemplate(p);
  }

  /**
   * Runs a generation to its end and gives its whole text (for tools and checks: blocks the
   * caller).
   *
   * @throws StrataException DEADLINE_EXCEEDED after {@code timeout}, INTERNAL when it failed
   */
  public String complete(GenerationRequest request, java.time.Duration timeout) {
    java.util.concurrent.CompletableFuture<String> done =
        new java.util.concurrent.CompletableFuture<>();
    StringBuilder text = new StringBuilder();
    Generation g =
        generate(
            request,
            new GenerationListener() {
              @Override
              public boolean token(String t) {
                text.append(t);
                return true;
              }

              @Override
              public void completed(FinishReason reason, int prompt, int completion) {
                done.complete(text.toString());
              }

              @Override
              public void failed(Throwable cause) {
                done.completeExceptionally(cause);
              }
            });
    try {
      return done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      g.cancel();
      Thread.currentThread().interrupt();
      throw new StrataException(ErrorCode.CANCELLED, "interrupted");
    } catch (java.util.concurrent.TimeoutException e) {
      g.cancel();
      throw new StrataException(
          ErrorCode.DEADLINE_EXCEEDED, "generation took longer than " + timeout);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new StrataException(ErrorCode.INTERNAL, "generation failed: " + e.getCause());
    }
  }

  /**
   * Starts a generation; the listener hears its tokens on an engine thread, and must not block
   * there (every running generation's tokens are delivered by one thread).
   *
   * @throws StrataException RESOURCE_EXHAUSTED when every sequence is busy and the queue is full,
   *     UNAVAILABLE when the engine is closed
   */
  public Generation generate(GenerationRequest request, GenerationListener listener) {
    requireNonNull(request, "request");
    requireNonNull(listener, "listener");
    Job job = new Job(request, listener);
    boolean start;
    synchronized (admission) {
      if (closed) {
        throw new StrataException(ErrorCode.UNAVAILABLE, "model " + name() + " is unloading");
      }
      if (inUse < options.parallel()) {
        inUse++;
        job.holdsSequence = true;
        start = true;
      } else if (waiting.size() < Math.max(1, options.queue())) {
        waiting.add(job);
        start = false;
      } else {
        throw new StrataException(
            ErrorCode.RESOURCE_EXHAUSTED,
            String.format(
                "model %s is busy: %d sequence(s) generating and %d waiting (the queue holds %d)",
                name(), options.parallel(), waiting.size(), options.queue()));
      }
      active.add(job);
    }
    if (start) {
      prefill.execute(() -> firstToken(job));
    }
    return () -> job.cancelled.set(true);
  }

  private String name() {
    Path version = file.getParent();
    return version == null || version.getParent() == null
        ? file.toString()
        : version.getParent().getFileName().toString();
  }

  /** One generation and where it stands. */
  private static final class Job {
    final GenerationRequest request;
    final GenerationListener listener;
    final AtomicBoolean cancelled = new AtomicBoolean();

    /** Whether it has one of the engine's sequences (it is not waiting); under admission. */
    boolean holdsSequence;

    LlamaIterator tokens;
    int promptTokens;
    int generated;

    Job(GenerationRequest request, GenerationListener listener) {
      this.request = request;
      this.listener = listener;
    }
  }

  /**
   * A prompt thread: submits the generation to llama.cpp and waits for its first token (the prompt
   * is processed in the decoder's next batches), then hands it to the decode thread.
   *
   * <p>Why one thread reads every running generation's tokens: the binding waits for a task's
   * result in llama.cpp's result queue, and a waiter whose result is not there yet while another
   * task's is spins on that queue's lock instead of sleeping. One waiter per generation made N
   * threads spin against the decoder's own threads at every token (with 8 sequences on 2 cores, 8
   * streams gave a third of one stream's tokens per second). One reader taking the sequences'
   * tokens in turn finds each one already there, or sleeps until the next batch is decoded.
   */
  private void firstToken(Job job) {
    try {
      if (job.cancelled.get()) {
        finish(job, GenerationListener.FinishReason.CANCELLED);
        return;
      }
      GenerationRequest r = job.request;
      job.promptTokens = model.encode(r.prompt()).length;
      InferenceParameters p =
          new InferenceParameters(r.prompt())
              .setNPredict(r.maxTokens())
              .setTemperature((float) r.temperature())
              .setTopP((float) r.topP())
              .setCachePrompt(false);
      r.seed().ifPresent(s -> p.setSeed((int) s));
      if (!r.logitBias().isEmpty()) {
        Map<Integer, Float> bias = new HashMap<>();
        r.logitBias().forEach((k, v) -> bias.put(k, v.floatValue()));
        p.setTokenIdBias(bias);
      }
      if (!r.stop().isEmpty()) {
        p.setStopStrings(r.stop().toArray(String[]::new));
      }
      job.tokens = model.generate(p).iterator();
    } catch (RuntimeException e) {
      fail(job, e);
      return;
    }
    if (step(job)) {
      handoff.add(job);
    }
  }

  /**
   * The decode thread: the next token of every running generation in turn, in the order llama.cpp
   * sends them. That order is not told (it is the order of the sequences' slots in its batch), so
   * it is learnt: a read that spun (used CPU instead of sleeping, because another generation's
   * token came first) moves its generation behind the others; after a few tokens every read either
   * finds its token there or sleeps until the next batch is decoded.
   */
  private void decodeLoop() {
    ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
    boolean timed = cpu.isCurrentThreadCpuTimeSupported();
    List<Job> decoding = new ArrayList<>();
    List<Job> next = new ArrayList<>();
    List<Job> late = new ArrayList<>();
    boolean closing = false;
    try {
      while (!closing || !decoding.isEmpty()) {
        if (decoding.isEmpty()) {
          decoding.add(handoff.take());
        }
        handoff.drainTo(decoding);
        closing |= decoding.remove(CLOSE);
        for (Job job : decoding) {
          long before = timed ? cpu.getCurrentThreadCpuTime() : 0;
          boolean goesOn = step(job);
          boolean spun =
              timed && cpu.getCurrentThreadCpuTime() - before > SPUN_NANOS && decoding.size() > 1;
          if (goesOn) {
            (spun ? late : next).add(job);
          }
        }
        List<Job> t = decoding;
        decoding = next;
        decoding.addAll(late);
        late.clear();
        next = t;
        next.clear();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      for (Job job : decoding) {
        job.tokens.cancel();
        finish(job, GenerationListener.FinishReason.CANCELLED);
      }
    }
  }

  /**
   * CPU time of one read beyond which it spun: a read that sleeps until its token is decoded uses
   * tens of microseconds.
   */
  private static final long SPUN_NANOS = 300_000;

  /** Wakes the decode thread at close. */
  private static final Job CLOSE =
      new Job(new GenerationRequest("", 1, 0, 1, OptionalLong.empty(), List.of()), null);

  /**
   * Reads one result of {@code job} (blocking until llama.cpp decoded it) and tells its listener.
   *
   * @return whether the generation goes on
   */
  private boolean step(Job job) {
    // llama.cpp sends one partial result per decoded token, then an empty final one. The text of a
    // partial may be empty (bytes of a character, or of a possible stop string, held back); a
    // token whose bytes are not a whole character is sent with the next one, so a generation that
    // splits characters across tokens is counted a token short per split.
    LlamaIterator it = job.tokens;
    LlamaOutput o;
    try {
      if (job.cancelled.get()) {
        it.cancel();
        finish(job, GenerationListener.FinishReason.CANCELLED);
        return false;
      }
      o = it.next();
    } catch (RuntimeException e) {
      fail(job, e);
      return false;
    }
    boolean ended = !it.hasNext();
    if (!ended) {
      job.generated++;
    }
    boolean wanted;
    try {
      wanted = o.text.isEmpty() || job.listener.token(o.text);
    } catch (RuntimeException e) {
      LOG.warn("a generation's listener failed; the generation stops", e);
      wanted = false;
    }
    if (!wanted) {
      if (!ended) {
        it.cancel();
      }
      finish(job, GenerationListener.FinishReason.CANCELLED);
      return false;
    }
    if (!ended) {
      return true;
    }
    GenerationRequest r = job.request;
    boolean full =
        job.generated >= r.maxTokens()
            || job.promptTokens + job.generated >= options.contextPerSequence();
    finish(
        job, full ? GenerationListener.FinishReason.LENGTH : GenerationListener.FinishReason.STOP);
    return false;
  }

  private void finish(Job job, GenerationListener.FinishReason reason) {
    release(job);
    int completion = Math.min(job.generated, job.request.maxTokens());
    notify(job, () -> job.listener.completed(reason, job.promptTokens, completion));
  }

  private void fail(Job job, Throwable cause) {
    release(job);
    notify(job, () -> job.listener.failed(cause));
  }

  /**
   * Tells a listener its generation ended, off the decode thread: what it does then (complete a
   * response, score an answer, call the cloud) never holds up the other generations' tokens.
   */
  private void notify(Job job, Runnable call) {
    Thread.ofVirtual()
        .name("strata-llm-done")
        .start(
            () -> {
              try {
                call.run();
              } catch (RuntimeException e) {
                LOG.warn("a generation's listener failed at its end", e);
              }
            });
  }

  /** Frees the job's sequence for the next waiting generation. */
  private void release(Job job) {
    Job next;
    synchronized (admission) {
      if (!active.remove(job)) {
        return;
      }
      if (!job.holdsSequence) {
        return;
      }
      next = closed ? null : waiting.poll();
      if (next == null) {
        inUse--;
      } else {
        next.holdsSequence = true;
      }
    }
    if (next != null) {
      Job n = next;
      try {
        prefill.execute(() -> firstToken(n));
      } catch (RejectedExecutionException e) { // closed meanwhile
        finish(n, GenerationListener.FinishReason.CANCELLED);
      }
    }
  }

  /**
   * Stops the engine: waiting generations are dropped, running ones cancelled, the model freed.
   * (The binding leaves a native thread behind after this; Strata's processes exit explicitly.)
   */
  @Override
  public void close() {
    List<Job> dropped;
    synchronized (admission) {
      if (closed) {
        return;
      }
      closed = true;
      dropped = new ArrayList<>(waiting);
      waiting.clear();
    }
    for (Job job : active) {
      job.cancelled.set(true);
    }
    for (Job job : dropped) {
      finish(job, GenerationListener.FinishReason.CANCELLED);
    }
    prefill.shutdown();
    try {
      // prompt threads end at their generation's first token (cancelled at its next); after them
      // nothing more is handed to the decode thread
      prefill.awaitTermination(30, TimeUnit.SECONDS);
      handoff.add(CLOSE);
      decoder.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    model.close();
  }
}
