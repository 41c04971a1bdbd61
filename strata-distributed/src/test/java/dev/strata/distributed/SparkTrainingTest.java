package dev.strata.distributed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.StrataException;
import dev.strata.train.engine.TrainConfig;
import dev.strata.train.spec.TrainingSpec;
import dev.strata.train.workflow.ClusterTraining;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What the driver refuses before any Spark context starts. */
class SparkTrainingTest {
  @Test
  void localModeWithSeveralWorkersIsRefusedWithTheAlternatives() {
    for (String m : new String[] {"local[2]", "local[*]", "local[4,2]"}) {
      assertThatThrownBy(() -> SparkTraining.checkMaster(m, 2))
          .isInstanceOf(StrataException.class)
          .hasMessageContaining("one gradient collector")
          .hasMessageContaining("local-cluster[N,1,1024]")
          .hasMessageContaining("spark://");
    }
    assertThatThrownBy(() -> SparkTraining.checkMaster("local", 2))
        .hasMessageContaining("one gradient collector");
    assertThatCode(() -> SparkTraining.checkMaster("local[1]", 1)).doesNotThrowAnyException();
    assertThatCode(() -> SparkTraining.checkMaster("local-cluster[2,1,1024]", 2))
        .doesNotThrowAnyException();
    assertThatCode(() -> SparkTraining.checkMaster("spark://10.0.0.1:7077", 8))
        .doesNotThrowAnyException();
  }

  @Test
  void anUnknownMasterNamesTheAcceptedForms() {
    assertThatThrownBy(() -> SparkTraining.checkMaster("yarn", 2))
        .isInstanceOf(StrataException.class)
        .hasMessageContaining("--cluster yarn")
        .hasMessageContaining("spark://HOST:PORT");
  }

  @Test
  void requestOptionsAreCheckedWithTheirNames() {
    TrainingSpec spec =
        TrainingSpec.parse(
            """
            format_version: 1
            name: t
            preprocessing:
              input: {kind: image, channels: 1, height: 28, width: 28}
              steps: [{op: normalize}]
            model:
              layers: [{type: flatten}, {type: linear, units: 10}]
            training: {epochs: 1, batch_size: 8, optimizer: {type: sgd, learning_rate: 0.1}}
            """,
            true,
            "spec");
    assertThatThrownBy(() -> request(spec, 0, 0)).hasMessageContaining("--workers 0");
    assertThatThrownBy(() -> request(spec, 2, 3))
        .hasMessageContaining("--staleness 3")
        .hasMessageContaining("parameter-server");
    assertThatThrownBy(() -> ClusterTraining.Sync.parse("gossip"))
        .hasMessageContaining("--sync gossip");
    assertThat(ClusterTraining.Sync.parse("parameter-server"))
        .isEqualTo(ClusterTraining.Sync.PARAMETER_SERVER);
  }

  private static ClusterTraining.Request request(TrainingSpec spec, int workers, int staleness) {
    return new ClusterTraining.Request(
        spec,
        "d",
        Path.of("o"),
        "local[1]",
        workers,
        ClusterTraining.Sync.ALLREDUCE,
        staleness,
        0,
        60,
        Optional.empty(),
        Map.of(),
        new TrainConfig(Path.of("target"), 1, 1));
  }
}
