package dev.strata.registry.deploy;

import static dev.strata.registry.StrataAssertions.assertCode;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.api.CreateEnrollmentTokenRequest;
import dev.strata.api.Deployment;
import dev.strata.api.DeploymentSpec;
import dev.strata.api.DeploymentStatus;
import dev.strata.api.NodeRollout;
import dev.strata.api.NodeView;
import dev.strata.api.Revision;
import dev.strata.api.RevisionStatus;
import dev.strata.api.RolloutStrategy;
import dev.strata.api.Selector;
import dev.strata.api.Stage;
import dev.strata.api.UpdateVersionRequest;
import dev.strata.api.Variant;
import dev.strata.control.ConfidenceMeasure;
import dev.strata.control.DeploymentCounters;
import dev.strata.control.DesiredModel;
import dev.strata.control.DesiredState;
import dev.strata.control.EnrollRequest;
import dev.strata.control.HardExamplePolicy;
import dev.strata.control.Health;
import dev.strata.control.Heartbeat;
import dev.strata.control.InferencePolicy;
import dev.strata.control.LoadState;
import dev.strata.control.LoadedModel;
import dev.strata.core.ErrorCode;
import dev.strata.registry.RegistryFixture;
import dev.strata.registry.TestModels;
import dev.strata.registry.auth.NodePrincipal;
import dev.strata.registry.fleet.FleetService;
import dev.strata.registry.testing.TestDb;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

@ParameterizedClass
@EnumSource(TestDb.class)
class DeploymentTest {
  static final Selector SHANGHAI = Selector.parse("site=shanghai");

  @Parameter TestDb db;
  @TempDir Path dir;
  RegistryFixture fx;
  DeploymentService deployments;
  FleetService fleet;
  Variant v1;
  Variant v2;
  List<NodePrincipal> shanghai = new ArrayList<>();
  NodePrincipal beijing;

  @BeforeEach
  void open() {
    fx = new RegistryFixture(db, dir);
    deployments = fx.registry().deployments();
    fleet = fx.registry().fleet();
    v1 = TestModels.newVersion(fx.registry().models(), "detector", "int8", "v1 weights");
    v2 = TestModels.newVersion(fx.registry().models(), "detector", "int8", "v2 weights");
    for (int i = 0; i < 4; i++) {
      shanghai.add(enroll("sh-" + i, "shanghai"));
    }
    beijing = enroll("bj-0", "beijing");
  }

  @AfterEach
  void close() {
    if (fx != null) { // null when the fixture could not open
      fx.close();
    }
  }

  private NodePrincipal enroll(String name, String site) {
    String token =
        fleet
            .createEnrollmentToken(CreateEnrollmentTokenRequest.withLabels(Map.of("site", site)))
            .token();
    var e = fleet.enroll(new EnrollRequest(token, name, Map.of()));
    return new NodePrincipal(e.nodeId(), e.name());
  }

  private static Heartbeat reporting(
      String deployment, long revision, LoadState state, long requests, long errors) {
    return new Heartbeat(
        "1.0",
        Health.HEALTHY,
        List.of(
            new LoadedModel(
                Optional.of(deployment),
                revision,
                "detector",
                revision,
                "int8",
                state,
                state == LoadState.FAILED
                    ? Optional.of("unsupported opset 99")
                    : Optional.empty())),
        0,
        10,
        1,
        2,
        Map.of(deployment, new DeploymentCounters(revision, requests, errors, 0)),
        Optional.empty());
  }

  private DeploymentSpec spec(Variant v) {
    return DeploymentSpec.edge("detector", v.version(), "int8", SHANGHAI);
  }

  private long desiredVersion(NodePrincipal n) {
    List<DesiredModel> models = deployments.desiredStateFor(n.id()).models();
    return models.isEmpty() ? 0 : models.getFirst().version();
  }

  @Test
  void allAtOnceReachesExactlyTheSelectedNodes() {
    DesiredState before = deployments.desiredStateFor(shanghai.getFirst().id());
    Deployment d =
        deployments.apply(
            "det",
            spec(v1)
                .withPolicy(
                    new InferencePolicy.Cascade(
                        ConfidenceMeasure.MARGIN, 0.2, Optional.of("detector-large"))));
    assertThat(d.stable()).map(Revision::status).contains(RevisionStatus.ACTIVE);
    DesiredState after = deployments.desiredStateFor(shanghai.getFirst().id());
    assertThat(after.etag()).isNotEqualTo(before.etag());
    DesiredModel m = after.models().getFirst();
    assertThat(m.sha256()).isEqualTo(v1.sha256());
    assertThat(m.manifest()).isEqualTo(v1.manifest());
    assertThat(m.policy()).isInstanceOf(InferencePolicy.Cascade.class);
    assertThat(deployments.desiredStateFor(beijing.id()).models()).isEmpty();
    // unchanged content keeps its ETag; re-applying the same spec makes no new revision
    assertThat(deployments.desiredStateFor(shanghai.getFirst().id()).etag())
        .isEqualTo(after.etag());
    deployments.apply("det", spec(v1).withPolicy(m.policy()));
    assertThat(deployments.history("det")).hasSize(1);
    assertThat(deployments.desiredStateForCloud().models()).isEmpty();
  }

  @Test
  void nodeLabelChangesMoveDesiredState() {
    deployments.apply("det", spec(v1));
    assertThat(desiredVersion(beijing)).isZero();
    fleet.updateLabels(beijing.id(), Map.of("site", "shanghai"));
    assertThat(desiredVersion(beijing)).isEqualTo(v1.version());
  }

  @Test
  void canaryGoesToAShareOfNodesAndIsPromotedByHand() {
    deployments.apply("det", spec(v1));
    Deployment d =
        deployments.apply("det", spec(v2).withStrategy(RolloutStrategy.Canary.of(25, 0)));
    assertThat(d.canaryNodes()).hasSize(1);
    String canaryNode = d.canaryNodes().getFirst();
    for (NodePrincipal n : shanghai) {
      assertThat(desiredVersion(n))
          .isEqualTo(n.id().equals(canaryNode) ? v2.version() : v1.version());
    }
    assertCode(
        () -> deployments.apply("det", spec(v1)),
        ErrorCode.FAILED_PRECONDITION,
        "canary of revision 2 in progress");
    deployments.promote("det");
    for (NodePrincipal n : shanghai) {
      assertThat(desiredVersion(n)).isEqualTo(v2.version());
    }
    assertThat(deployments.history("det"))
        .extracting(Revision::status)
        .containsExactly(RevisionStatus.ACTIVE, RevisionStatus.SUPERSEDED);
  }

  @Test
  void canaryRollsBackAutomaticallyOnALoadFailure() {
    deployments.apply("det", spec(v1));
    Deployment d =
        deployments.apply("det", spec(v2).withStrategy(RolloutStrategy.Canary.of(50, 3)));
    NodePrincipal canary =
        shanghai.stream()
            .filter(n -> n.id().equals(d.canaryNodes().getFirst()))
            .findFirst()
            .orElseThrow();
    fx.registry().nodes().heartbeat(canary, reporting("det", 2, LoadState.FAILED, 0, 0));
    Deployment after = deployments.get("det");
    assertThat(after.canary()).isEmpty();
    assertThat(after.message())
        .contains("failed to load revision 2")
        .contains("unsupported opset 99");
    assertThat(deployments.history("det").getFirst().status())
        .isEqualTo(RevisionStatus.ROLLED_BACK);
    assertThat(desiredVersion(canary)).isEqualTo(v1.version());
  }

  @Test
  void canaryRollsBackOnAnErrorRateOverTheThreshold() {
    deployments.apply("det", spec(v1));
    Deployment d =
        deployments.apply("det", spec(v2).withStrategy(new RolloutStrategy.Canary(25, 0, 0.1, 50)));
    NodePrincipal canary =
        shanghai.stream()
            .filter(n -> n.id().equals(d.canaryNodes().getFirst()))
            .findFirst()
            .orElseThrow();
    // too few requests to judge yet
    fleet.heartbeat(canary, reporting("det", 2, LoadState.READY, 10, 9));
    assertThat(deployments.get("det").canary()).isPresent();
    // counters of the previous revision do not count against the canary
    fleet.heartbeat(canary, reporting("det", 1, LoadState.READY, 100, 90));
    assertThat(deployments.get("det").canary()).isPresent();
    fleet.heartbeat(canary, reporting("det", 2, LoadState.READY, 100, 11));
    assertThat(deployments.get("det").canary()).isEmpty();
    assertThat(deployments.get("det").message()).contains("error rate 0.110 over 100 requests");
  }

  @Test
  void canaryIsPromotedAfterEnoughHealthyHeartbeatsFromEveryCanaryNode() {
    deployments.apply("det", spec(v1));
    Deployment d =
        deployments.apply("det", spec(v2).withStrategy(RolloutStrategy.Canary.of(50, 2)));
    assertThat(d.canaryNodes()).hasSize(2);
    List<NodePrincipal> canaries =
        shanghai.stream().filter(n -> d.canaryNodes().contains(n.id())).toList();
    fleet.heartbeat(canaries.get(0), reporting("det", 2, LoadState.READY, 5, 0));
    fleet.heartbeat(canaries.get(0), reporting("det", 2, LoadState.READY, 9, 0));
    fleet.heartbeat(canaries.get(1), reporting("det", 2, LoadState.LOADING, 0, 0));
    fleet.heartbeat(canaries.get(1), reporting("det", 2, LoadState.READY, 0, 0));
    assertThat(deployments.get("det").canary()).isPresent();
    fleet.heartbeat(canaries.get(1), reporting("det", 2, LoadState.READY, 3, 0));
    Deployment promoted = deployments.get("det");
    assertThat(promoted.canary()).isEmpty();
    assertThat(promoted.stable()).map(Revision::number).contains(2L);
    assertThat(promoted.message()).contains("healthy for 2 heartbeats");
  }

  @Test
  void rollbackReturnsToThePreviousRevision() {
    deployments.apply("det", spec(v1));
    deployments.apply("det", spec(v2));
    assertThat(desiredVersion(shanghai.getFirst())).isEqualTo(v2.version());
    Deployment back = deployments.rollback("det", "bad accuracy in the field");
    assertThat(back.stable()).map(Revision::number).contains(1L);
    assertThat(back.message())
        .contains("rolled back from revision 2 to 1: bad accuracy in the field");
    assertThat(desiredVersion(shanghai.getFirst())).isEqualTo(v1.version());
    assertCode(
        () -> deployments.rollback("det", ""),
        ErrorCode.FAILED_PRECONDITION,
        "no previous revision");
    // rolled back revisions are not rollback targets; a new apply moves forward again
    deployments.apply("det", spec(v2));
    assertThat(deployments.history("det"))
        .extracting(Revision::number, Revision::status)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(3L, RevisionStatus.ACTIVE),
            org.assertj.core.groups.Tuple.tuple(2L, RevisionStatus.ROLLED_BACK),
            org.assertj.core.groups.Tuple.tuple(1L, RevisionStatus.SUPERSEDED));
  }

  @Test
  void statusShowsEachNodesDesiredNextToActualState() {
    deployments.apply("det", spec(v1));
    fleet.heartbeat(shanghai.get(0), reporting("det", 1, LoadState.READY, 3, 0));
    fleet.heartbeat(shanghai.get(1), reporting("det", 1, LoadState.FAILED, 0, 0));
    fleet.heartbeat(shanghai.get(2), reporting("det", 1, LoadState.DOWNLOADING, 0, 0));
    DeploymentStatus s = deployments.status("det");
    assertThat(s.nodes()).hasSize(4);
    assertThat(s.inSync()).isEqualTo(1);
    assertThat(s.failed()).isEqualTo(1);
    assertThat(s.pending()).isEqualTo(2);
    NodeRollout first = s.nodes().getFirst();
    assertThat(first.nodeName()).isEqualTo("sh-0");
    assertThat(first.desired()).contains(1L);
    assertThat(first.counters()).map(DeploymentCounters::requests).contains(3L);
    NodeView view = deployments.nodeView(shanghai.get(1).id());
    assertThat(view.desired().models()).hasSize(1);
    assertThat(view.node().lastHeartbeat().orElseThrow().models().getFirst().state())
        .isEqualTo(LoadState.FAILED);
  }

  @Test
  void cloudDeploymentsAndInvalidSpecs() {
    deployments.apply("det-cloud", DeploymentSpec.cloud("detector", v2.version(), "int8"));
    assertThat(deployments.desiredStateForCloud().models())
        .extracting(DesiredModel::deployment)
        .containsExactly("det-cloud");
    assertThat(desiredVersion(shanghai.getFirst())).isZero();
    assertCode(
        () ->
            DeploymentSpec.cloud("detector", 1, "int8")
                .withStrategy(RolloutStrategy.Canary.of(10, 0)),
        ErrorCode.INVALID_ARGUMENT,
        "all-at-once for a cloud deployment");
    assertCode(
        () -> deployments.apply("x", DeploymentSpec.edge("detector", 1, "fp32", SHANGHAI)),
        ErrorCode.NOT_FOUND,
        "variant fp32");
    assertCode(
        () -> deployments.apply("det-cloud", spec(v1)), ErrorCode.INVALID_ARGUMENT, "target EDGE");
    fx.registry()
        .models()
        .updateVersion("detector", v1.version(), UpdateVersionRequest.stage(Stage.ARCHIVED));
    assertCode(() -> deployments.apply("y", spec(v1)), ErrorCode.FAILED_PRECONDITION, "archived");
    assertCode(() -> deployments.get("nope"), ErrorCode.NOT_FOUND, "deployment nope");
  }

  @Test
  void deploymentsSurviveARestart() {
    deployments.apply("det", spec(v1));
    Deployment d =
        deployments.apply(
            "det",
            spec(v2)
                .withStrategy(RolloutStrategy.Canary.of(25, 0))
                .withHardExamples(HardExamplePolicy.upTo(1000, 100)));
    String etag = deployments.desiredStateFor(d.canaryNodes().getFirst()).etag();
    var reopened = fx.reopen();
    assertThat(reopened.deployments().get("det")).isEqualTo(d);
    assertThat(reopened.deployments().desiredStateFor(d.canaryNodes().getFirst()).etag())
        .isEqualTo(etag);
  }

  @Test
  void nodesMayOnlyFetchArtifactsTheyShouldRun() throws Exception {
    deployments.apply("det", spec(v1));
    var api = fx.registry().nodes();
    NodePrincipal n = shanghai.getFirst();
    var state = api.desiredState(n, Optional.empty()).orElseThrow();
    assertThat(api.desiredState(n, Optional.of(state.etag()))).isEmpty();
    assertThat(api.heartbeat(n, Heartbeat.healthy("1")).desiredStateEtag()).isEqualTo(state.etag());
    try (var content = api.artifact(n, v1.sha256(), 0, Long.MAX_VALUE)) {
      assertThat(
              new String(content.stream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
          .isEqualTo("v1 weights");
    }
    assertCode(
        () -> api.artifact(n, v2.sha256(), 0, 10),
        ErrorCode.PERMISSION_DENIED,
        "not in the desired state");
    assertCode(
        () -> api.artifact(beijing, v1.sha256(), 0, 10), ErrorCode.PERMISSION_DENIED, "bj-0");
  }
}
