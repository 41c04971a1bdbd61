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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
  private final ThreadPoolExecutor workers;
  private final AtomicInteger running = new AtomicInteger();
  private final java.util.Set<AtomicBoolean> active =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  private LlamaEngine(Path file, Options options, LlamaModel model) {
    this.file = file;
    this.options = options;
    this.model = model;
    this.workers =
        new ThreadPoolExecutor(
            options.parallel(),
            options.parallel(),
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(Math.max(1, options.queue())),
            Thread.ofPlatform().name("strata-llm-gen-", 0).daemon(true).factory());
    workers.allowCoreThreadTimeOut(true);
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
    return running.get();
  }

  /** Generations waiting for a free sequence. */
  public int queued() {
    return workers.getQueue().size();
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
   * Starts a generation; the listener hears its tokens on an engine thread.
   *
   * @throws StrataException RESOURCE_EXHAUSTED when every sequence is busy and the queue is full
   */
  public Generation generate(GenerationRequest request, GenerationListener listener) {
    requireNonNull(request, "request");
    requireNonNull(listener, "listener");
    AtomicBoolean cancelled = new AtomicBoolean();
    running.incrementAndGet();
    active.add(cancelled);
    try {
      workers.execute(() -> run(request, listener, cancelled));
    } catch (RejectedExecutionException e) {
      running.decrementAndGet();
      active.remove(cancelled);
      throw new StrataException(
          ErrorCode.RESOURCE_EXHAUSTED,
          String.format(
              "model %s is busy: %d sequence(s) generating and %d waiting (the queue holds %d)",
              file.getParent() == null ? file : file.getParent().getParent().getFileName(),
              options.parallel(),
              workers.getQueue().size(),
              options.queue()));
    }
    return () -> cancelled.set(true);
  }

  private void run(GenerationRequest r, GenerationListener listener, AtomicBoolean cancelled) {
    try {
      if (cancelled.get()) {
        listener.completed(GenerationListener.FinishReason.CANCELLED, 0, 0);
        return;
      }
      int promptTokens = model.encode(r.prompt()).length;
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
      LlamaIterator it = model.generate(p).iterator();
      // llama.cpp sends one partial result per decoded token, then an empty final one. The text
      // of a partial may be empty (bytes of a character, or of a possible stop string, held
      // back); a token whose bytes are not a whole character is sent with the next one, so a
      // generation that splits characters across tokens is counted a token short per split.
      int tokens = 0;
      boolean ended = false;
      GenerationListener.FinishReason reason = GenerationListener.FinishReason.STOP;
      while (it.hasNext()) {
        if (cancelled.get()) {
          it.cancel();
          reason = GenerationListener.FinishReason.CANCELLED;
          break;
        }
        LlamaOutput o = it.next();
        ended = !it.hasNext();
        if (!ended) {
          tokens++;
        }
        if (!o.text.isEmpty() && !listener.token(o.text)) {
          if (!ended) {
            it.cancel();
          }
          reason = GenerationListener.FinishReason.CANCELLED;
          break;
        }
      }
      if (reason == GenerationListener.FinishReason.STOP
          && (tokens >= r.maxTokens() || promptTokens + tokens >= options.contextPerSequence())) {
        reason = GenerationListener.FinishReason.LENGTH;
      }
      listener.completed(reason, promptTokens, Math.min(tokens, r.maxTokens()));
    } catch (RuntimeException e) {
      listener.failed(e);
    } finally {
      running.decrementAndGet();
      active.remove(cancelled);
    }
  }

  /**
   * Stops the engine: waiting generations are dropped, running ones cancelled, the model freed.
   * (The binding leaves a native thread behind after this; Strata's processes exit explicitly.)
   */
  @Override
  public void close() {
    for (AtomicBoolean c : active) {
      c.set(true);
    }
    workers.shutdownNow();
    try {
      workers.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    model.close();
  }
}
