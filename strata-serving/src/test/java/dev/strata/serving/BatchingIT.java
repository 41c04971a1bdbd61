package dev.strata.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.strata.core.DataType;
import dev.strata.core.InferenceRequest;
import dev.strata.core.ModelMetadata;
import dev.strata.core.ModelStatistics;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.onnx.ExampleModels;
import dev.strata.onnx.OnnxGraphBuilder;
import dev.strata.protocol.client.StrataClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Models whose first dimension is dynamic but not a batch, over real HTTP and gRPC: the load-time
 * probe serves them one request per execution, so concurrent clients never get each other's
 * answers; a model that does batch still batches; metadata shows the batch dimension as -1 and a
 * client that sends the advertised shape is served.
 */
class BatchingIT {
  private static final String SOFTMAX = "softmax_vector";
  private static final String CONCAT = "concat";
  private static final String BATCHED = "mlp_derived";
  private static final int CLIENTS = 4;
  private static final int REQUESTS = 100;

  @TempDir static Path dir;
  static TestServer server;

  @BeforeAll
  static void start() {
    OnnxGraphBuilder softmax = OnnxGraphBuilder.create(SOFTMAX);
    String x = softmax.input("x", DataType.FP32, Shape.of(-1));
    softmax.output(
        softmax.node("Softmax", List.of(x), Map.of("axis", 0L), "y"), DataType.FP32, Shape.of(-1));
    TestServer.writeModel(dir, SOFTMAX, 1, softmax.build());
    // A long delay: were the probe wrong, concurrent requests would surely share executions.
    TestServer.writeFile(
        dir.resolve(SOFTMAX).resolve("config.json"),
        "{\"dynamic_batching\": {\"max_queue_delay_us\": 2000}}");

    OnnxGraphBuilder concat = OnnxGraphBuilder.create(CONCAT);
    String c = concat.input("x", DataType.FP32, Shape.of(-1, 2));
    concat.output(
        concat.node("Concat", List.of(c, c), Map.of("axis", 0L), "y"),
        DataType.FP32,
        Shape.of(-1, 2));
    TestServer.writeModel(dir, CONCAT, 1, concat.build());

    TestServer.writeModel(dir, BATCHED, 1, ExampleModels.mlp(4, 8, 3, 7));
    TestServer.writeFile(
        dir.resolve(BATCHED).resolve("config.json"),
        "{\"dynamic_batching\": {\"max_queue_delay_us\": 20000}}");
    server = TestServer.start(dir);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void softmaxOverAVectorGivesEveryConcurrentClientItsOwnAnswer() throws Exception {
    long before = stats(SOFTMAX).inferenceCount();
    List<Callable<Integer>> clients = new ArrayList<>();
    for (int k = 0; k < CLIENTS; k++) {
      int client = k;
      Supplier<StrataClient> connect = client % 2 == 0 ? server::rest : server::grpc;
      clients.add(() -> softmaxClient(connect, client));
    }
    assertThat(runAll(clients)).containsOnly(REQUESTS);
    ModelStatistics s = stats(SOFTMAX);
    assertThat(s.inferenceCount() - before).isEqualTo((long) CLIENTS * REQUESTS);
    assertThat(s.executionCount()).isEqualTo(s.inferenceCount());
  }

  /** One client's requests, each checked against the softmax of its own input; the count right. */
  private static int softmaxClient(Supplier<StrataClient> connect, int client) {
    Random rnd = new Random(client);
    int right = 0;
    try (StrataClient c = connect.get()) {
      for (int i = 0; i < REQUESTS; i++) {
        float[] values = new float[3 + client];
        for (int j = 0; j < values.length; j++) {
          values[j] = rnd.nextFloat() * 4 - 2;
        }
        Tensor input = Tensor.ofFloats("x", Shape.of(values.length), values);
        float[] y =
            c.infer(InferenceRequest.of(SOFTMAX, List.of(input))).outputs().getFirst().floats();
        assertThat(y).containsExactly(softmax(values), within(1e-5f));
        right++;
      }
    }
    return right;
  }

  @Test
  void concatAlongTheFirstDimensionAnswersOverRestAndGrpc() {
    for (Supplier<StrataClient> connect :
        List.<Supplier<StrataClient>>of(server::rest, server::grpc)) {
      try (StrataClient c = connect.get()) {
        Tensor x = Tensor.ofFloats("x", Shape.of(2, 2), 1, 2, 3, 4);
        Tensor y = c.infer(InferenceRequest.of(CONCAT, List.of(x))).outputs().getFirst();
        assertThat(y.shape()).isEqualTo(Shape.of(4, 2));
        assertThat(y.floats()).containsExactly(1, 2, 3, 4, 1, 2, 3, 4);
      }
    }
  }

  @Test
  void metadataSaysWhyAModelDoesNotBatch() throws Exception {
    HttpResponse<String> r = get("/v2/models/" + SOFTMAX);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body())
        .contains("{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[-1]}")
        .contains("\"max_batch_size\":0")
        .contains("\"batching\":\"off: output 'y' differs when two samples run as one batch");
    assertThat(get("/v2/models/" + CONCAT + "/versions/1").body())
        .contains(
            "\"batching\":\"off: output 'y' first dimension 2 for a batch of 1 (expected 1)\"");
    try (StrataClient c = server.rest()) {
      assertThat(c.repositoryIndex())
          .filteredOn(e -> e.name().equals(CONCAT))
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.state()).isEqualTo("READY");
                assertThat(e.reason()).startsWith("batching off: output 'y' first dimension 2");
              });
    }
  }

  @Test
  void aModelThatBatchesStillBatchesUnderConcurrency() throws Exception {
    long executions = stats(BATCHED).executionCount();
    long inferences = stats(BATCHED).inferenceCount();
    CountDownLatch go = new CountDownLatch(1);
    List<Callable<Integer>> clients = new ArrayList<>();
    for (int k = 0; k < 8; k++) {
      int client = k;
      Supplier<StrataClient> connect = client % 2 == 0 ? server::rest : server::grpc;
      clients.add(
          () -> {
            try (StrataClient c = connect.get()) {
              go.await();
              int done = 0;
              for (int i = 0; i < 10; i++) {
                Tensor x = Tensor.ofFloats("input", Shape.of(1, 4), client, i, 0.5f, -1);
                assertThat(
                        c.infer(InferenceRequest.of(BATCHED, List.of(x)))
                            .outputs()
                            .getFirst()
                            .shape())
                    .isEqualTo(Shape.of(1, 3));
                done++;
              }
              return done;
            }
          });
    }
    go.countDown();
    assertThat(runAll(clients)).containsOnly(10);
    ModelStatistics s = stats(BATCHED);
    assertThat(s.inferenceCount() - inferences).isEqualTo(80);
    assertThat(s.executionCount() - executions).isLessThan(80);
    assertThat(s.batchStats()).anySatisfy(b -> assertThat(b.batchSize()).isGreaterThan(1));
  }

  @Test
  void metadataShowsTheBatchDimensionAndTheAdvertisedShapeIsServed() throws Exception {
    assertThat(get("/v2/models/" + BATCHED).body())
        .contains("{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[-1,4]}")
        .contains("\"max_batch_size\":32")
        .doesNotContain("batching");
    for (Supplier<StrataClient> connect :
        List.<Supplier<StrataClient>>of(server::rest, server::grpc)) {
      try (StrataClient c = connect.get()) {
        ModelMetadata m = c.modelMetadata(BATCHED, Optional.of("1"));
        Shape advertised = m.inputs().getFirst().shape();
        assertThat(advertised).isEqualTo(Shape.of(-1, 4));
        assertThat(m.outputs().getFirst().shape()).isEqualTo(Shape.of(-1, 3));
        for (int batch : new int[] {1, 3}) {
          Tensor x = Tensor.ofFloats("input", advertised.withFirst(batch), new float[batch * 4]);
          assertThat(c.infer(InferenceRequest.of(BATCHED, List.of(x))).outputs().getFirst().shape())
              .isEqualTo(Shape.of(batch, 3));
        }
      }
    }
  }

  private static List<Integer> runAll(List<Callable<Integer>> clients) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients.size());
    try {
      List<Integer> out = new ArrayList<>();
      for (Future<Integer> f : pool.invokeAll(clients)) {
        out.add(f.get());
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  private static ModelStatistics stats(String model) {
    return server.runtime.statistics(Optional.of(model), Optional.empty()).getFirst();
  }

  private static HttpResponse<String> get(String path) throws Exception {
    try (HttpClient http = HttpClient.newHttpClient()) {
      return http.send(
          HttpRequest.newBuilder(URI.create(server.http(path).toString())).GET().build(),
          HttpResponse.BodyHandlers.ofString());
    }
  }

  private static float[] softmax(float[] x) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : x) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (float v : x) {
      sum += Math.exp(v - max);
    }
    float[] out = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = (float) (Math.exp(x[i] - max) / sum);
    }
    return out;
  }
}
