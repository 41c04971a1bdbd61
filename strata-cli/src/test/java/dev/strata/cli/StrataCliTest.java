package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.serving.cli.DurationConverter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class StrataCliTest {
  record Run(int exit, String out, String err) {}

  static Run run(String... args) {
    CommandLine cli = StrataCli.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void everyCommandHasHelp() {
    Run top = run("--help");
    assertThat(top.exit()).isZero();
    for (String command :
        List.of("serve", "infer", "models", "train", "evaluate", "export", "make-subset", "demo")) {
      assertThat(top.out()).contains(command);
      Run help = run(command, "--help");
      assertThat(help.exit()).as(command).isZero();
      assertThat(help.out()).as(command).contains("Usage: strata " + command);
    }
  }

  @Test
  void versionNamesStrataAndJava() {
    Run v = run("--version");
    assertThat(v.exit()).isZero();
    assertThat(v.out()).contains("strata ").contains("Java ");
  }

  @Test
  void missingRequiredOptionsAreNamed() {
    Run r = run("serve");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--model-repository");
  }

  @Test
  void aRepositoryThatIsNotADirectoryIsAClearError() {
    Run r = run("serve", "--model-repository", "/nonexistent/models");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("/nonexistent/models is not a directory");
  }

  @Test
  void durationsReadAsUnitsOrIso() {
    DurationConverter c = new DurationConverter();
    assertThat(c.convert("250ms")).hasMillis(250);
    assertThat(c.convert("30s")).hasSeconds(30);
    assertThat(c.convert("PT2M")).hasMinutes(2);
    Run r = run("serve", "--model-repository", ".", "--drain-timeout", "soon");
    assertThat(r.err()).contains("'soon' is not a duration");
  }
}
