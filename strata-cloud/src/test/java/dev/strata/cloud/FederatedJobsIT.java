package dev.strata.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.strata.api.CreateEnrollmentTokenRequest;
import dev.strata.api.CreateModelRequest;
import dev.strata.api.CreateVariantRequest;
import dev.strata.api.CreateVersionRequest;
import dev.strata.api.ModelSignature;
import dev.strata.api.Variant;
import dev.strata.control.EnrollRequest;
import dev.strata.core.StrataException;
import dev.strata.federated.aggregate.StrategySpec;
import dev.strata.federated.job.Evaluation;
import dev.strata.federated.job.JobCoordinator;
import dev.strata.federated.job.JobSpec;
import dev.strata.federated.job.OnnxParameters;
import dev.strata.federated.job.Task;
import dev.strata.registry.testing.TestDb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cloud's federated jobs over the committed fashion-cnn: nodes matched by label, a job that
 * survives a restart of the cloud at its last completed round, and the result registered as a new
 * version whose ONNX holds exactly the aggregated parameters.
 */
class FederatedJobsIT {
  static final Path CNN = Path.of("..", "models", "fashion-cnn", "model.onnx");

  @TempDir Path dir;

  @Test
  void aJobResumesAfterARestartAndRegistersItsResult() throws Exception {
    TestCloud cloud = TestCloud.start(dir, TestDb.SQLITE);
    byte[] onnx = Files.readAllBytes(CNN);
    cloud.api.createModel(CreateModelRequest.of("fashion"));
    long v = cloud.api.createVersion("fashion", CreateVersionRequest.EMPTY).version();
    cloud.api.addVariant(
        "fashion",
        v,
        new CreateVariantRequest(
            "default",
            "onnx",
            cloud.api.uploadArtifact(onnx).sha256(),
            ModelSignature.UNKNOWN,
            List.of(),
            Map.of(),
            Map.of(),
            Map.of()));
    String a = enroll(cloud, "a", Map.of("train", "yes"));
    String b = enroll(cloud, "b", Map.of("train", "yes"));
    String other = enroll(cloud, "other", Map.of("train", "no"));
    JobSpec spec =
        new JobSpec(
            "fashion",
            Long.toString(v),
            "train=yes",
            2,
            2,
            2,
            Duration.ofMinutes(1),
            new JobSpec.Local(1, 32, 0.01, 0.9),
            new StrategySpec.FedAvg(),
            false,
            8,
            0.3,
            Optional.empty());
    cloud.server.federated().create(new FederatedJobs.CreateRequest("r1", null, spec));
    assertThatThrownBy(
            () ->
                cloud.server.federated().create(new FederatedJobs.CreateRequest("r1", null, spec)))
        .hasMessageContaining("already exists");
    float[] start = OnnxParameters.read(ModelProto.parseFrom(onnx));

    // round 1: both nodes send a constant change; the node the selector leaves out gets nothing
    assertThat(cloud.server.federated().task(other)).isEmpty();
    assertThatThrownBy(() -> cloud.server.federated().forNode("r1", other))
        .hasMessageContaining("not selected");
    report(cloud, a, b, 0.01f);
    report(cloud, b, a, 0.03f);
    JobCoordinator.Status s = cloud.server.federated().job("r1").status();
    assertThat(s.rounds()).hasSize(1);

    // the cloud restarts between rounds
    TestCloud again = cloud.restart(UnaryOperator.identity());
    try {
      JobCoordinator.Status resumed = again.server.federated().job("r1").status();
      assertThat(resumed.state()).isEqualTo(JobCoordinator.State.RUNNING);
      assertThat(resumed.rounds()).hasSize(1);
      report(again, a, b, 0.01f);
      report(again, b, a, 0.03f);
      JobCoordinator.Status done = again.server.federated().job("r1").status();
      assertThat(done.state()).isEqualTo(JobCoordinator.State.COMPLETED);
      Map<String, Object> reg = again.server.federated().registered("r1").orElseThrow();
      long federated = ((Number) reg.get("version")).longValue();
      Variant result = again.api.variant("fashion", federated, "federated");
      assertThat(result.provenance())
          .containsEntry("job", "r1")
          .containsEntry("rounds", "2")
          .containsEntry("strategy", "fedavg");
      float[] got = OnnxParameters.read(ModelProto.parseFrom(artifact(again, result.sha256())));
      for (int i = 0; i < got.length; i += 997) {
        // two rounds of the equal-weight mean change 0.02
        assertThat(got[i]).isCloseTo(start[i] + 0.04f, org.assertj.core.data.Offset.offset(1e-5f));
      }
    } finally {
      again.close();
    }
  }

  private static byte[] artifact(TestCloud c, String sha) throws Exception {
    var art = c.server.registry().models().artifact(sha);
    try (var content = c.server.registry().models().openArtifact(sha, 0, art.size());
        var in = content.stream()) {
      return in.readAllBytes();
    }
  }

  private static String enroll(TestCloud c, String name, Map<String, String> labels) {
    String token =
        c.api
            .createEnrollmentToken(
                new CreateEnrollmentTokenRequest(
                    "t", labels, Optional.of(Duration.ofHours(1)), Optional.empty()))
            .token();
    return c.api.enroll(new EnrollRequest(token, name, Map.of())).nodeId();
  }

  /** The node polls until it has its train task for the current round, then reports a change. */
  private static void report(TestCloud c, String node, String peer, float change) {
    FederatedJobs jobs = c.server.federated();
    Optional<Task> t = jobs.task(node);
    for (int i = 0; i < 50 && t.isEmpty(); i++) {
      // the other node has not polled yet: a round waits for a full set (or one availability
      // window)
      jobs.task(peer);
      t = jobs.task(node);
    }
    Task.Train train = (Task.Train) t.orElseThrow();
    float[] delta = new float[jobs.job("r1").global(train.round()).length];
    java.util.Arrays.fill(delta, change);
    jobs.forNode("r1", node)
        .submitUpdate(
            node, train.round(), train.attempt(), delta, 100, 0.5, new Evaluation(0.4, 0.9, 10));
    assertThatThrownBy(
            () ->
                jobs.forNode("r1", node)
                    .submitUpdate(
                        node, train.round(), train.attempt(), delta, 100, 0.5, Evaluation.NONE))
        .isInstanceOf(StrataException.class);
  }
}
