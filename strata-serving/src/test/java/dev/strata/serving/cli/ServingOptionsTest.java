package dev.strata.serving.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.serving.ServingConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The shared listening options: defaults from a config record, parsing, help and refusals. */
class ServingOptionsTest {
  static final ServingConfig CUSTOM =
      new ServingConfig("127.0.0.1", 9080, 9081, 8 << 20, Duration.ofSeconds(5), 2);

  @Command(name = "server")
  static final class Server {
    @Mixin ServingOptions listen = new ServingOptions(CUSTOM);
  }

  @Test
  void withoutOptionsTheConfigIsTheDefaultsItWasGiven() {
    Server s = new Server();
    new CommandLine(s).parseArgs();
    assertThat(s.listen.config()).isEqualTo(CUSTOM);
    assertThat(new ServingOptions().config()).isEqualTo(ServingConfig.defaults());
  }

  @Test
  void optionsOverrideTheDefaults() {
    Server s = new Server();
    new CommandLine(s)
        .parseArgs(
            "--host", "0.0.0.0",
            "--http-port", "0",
            "--grpc-port", "-1",
            "--max-request-mb", "3",
            "--drain-timeout", "250ms",
            "--io-threads", "4");
    assertThat(s.listen.config())
        .isEqualTo(new ServingConfig("0.0.0.0", 0, -1, 3 << 20, Duration.ofMillis(250), 4));
  }

  @Test
  void theHelpShowsTheDefaultsOfTheRecord() {
    String usage = new CommandLine(new Server()).getUsageMessage();
    assertThat(usage)
        .contains("(default: 9080;")
        .contains("(default: 9081;")
        .contains("(default: 8;")
        .contains("(default: PT5S;");
  }

  @Test
  void badValuesAreRefusedNamingTheOption() {
    CommandLine cli = new CommandLine(new Server());
    assertThatThrownBy(() -> cli.parseArgs("--drain-timeout", "soon"))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("'soon' is not a duration");
    Server s = new Server();
    new CommandLine(s).parseArgs("--max-request-mb", "4096");
    assertThatThrownBy(s.listen::config).hasMessageContaining("--max-request-mb: 4096");
  }
}
